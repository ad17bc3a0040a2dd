// Activation-aware scores need ||x_j||: the L2 norm of each input feature of each prunable
// matrix over real tokens of calibration sentences (TRAIN split only: never dev or test). They
// come from the plain-TS reference forward pass, so the app, the CLI and tests agree.
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import { referenceEncode, type EncoderBatch } from '../model/reference-forward';
import type { BertTokenizer } from '../model/tokenizer';

/** One Float32Array per prunable matrix (prunableLinears order), length = its `in`. */
export function collectInputNorms(
  model: BertModel,
  batches: EncoderBatch[],
  onProgress?: (done: number, total: number) => void,
): Float32Array[] {
  const linears = prunableLinears(model);
  const index = new Map<Linear, number>(linears.map((l, i) => [l, i]));
  const sums = linears.map((l) => new Float64Array(l.in));
  let tokens = 0;
  batches.forEach((batch, b) => {
    const real = Array.from({ length: batch.batch * batch.seq }, (_, r) => batch.attentionMask[r] !== 0);
    tokens += real.filter(Boolean).length;
    referenceEncode(model, batch, (linear, input, rows) => {
      const i = index.get(linear);
      if (i === undefined) return;
      const sum = sums[i];
      const width = linear.in;
      for (let r = 0; r < rows; r++) {
        if (!real[r]) continue; // padding tokens are not part of the data
        for (let j = 0; j < width; j++) {
          const v = input[r * width + j];
          sum[j] += v * v;
        }
      }
    });
    onProgress?.(b + 1, batches.length);
  });
  if (tokens === 0) throw new RangeError('calibration needs at least one real token');
  return sums.map((s) => Float32Array.from(s, Math.sqrt));
}

/** The JSON form the CLI reads and writes: {"<matrix name>": [norms]}. */
export function normsToJson(model: BertModel, norms: Float32Array[]): Record<string, number[]> {
  return Object.fromEntries(prunableLinears(model).map((l, i) => [l.name, Array.from(norms[i])]));
}

/** Calibration sentences -> padded batches for the reference forward pass; sentences of similar
 *  length share a batch, so little time goes into padding (which the norms ignore anyway). */
export function calibrationBatches(
  tokenizer: BertTokenizer,
  texts: string[],
  maxLength: number,
  batchSize = 8,
): EncoderBatch[] {
  const rows = texts.map((t) => tokenizer.encode(t, maxLength)).sort((a, b) => a.length - b.length);
  const batches: EncoderBatch[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    const enc = tokenizer.pad(rows.slice(i, i + batchSize));
    batches.push({
      inputIds: Array.from(enc.inputIds, Number),
      attentionMask: Array.from(enc.attentionMask, Number),
      tokenTypeIds: Array.from(enc.tokenTypeIds, Number),
      batch: enc.batch,
      seq: enc.seqLen,
    });
  }
  return batches;
}

/** How many train sentences the app and the CLI calibrate on by default. */
export const DEFAULT_CALIBRATION_SENTENCES = 64;
