// Static activation ranges: the largest |input| of every prunable linear over the real tokens
// of calibration sentences (TRAIN split only, as for the pruning norms), from the f32 reference
// forward pass of the model being quantized (pruned or not).
import { prunableLinears, type BertModel } from '../model/bert-types';
import { referenceEncode, type EncoderBatch } from '../model/reference-forward';

export function collectInputRanges(
  model: BertModel,
  batches: EncoderBatch[],
  onProgress?: (done: number, total: number) => void,
): Record<string, number> {
  const names = new Set(prunableLinears(model).map((l) => l.name));
  const ranges: Record<string, number> = Object.fromEntries([...names].map((n) => [n, 0]));
  let tokens = 0;
  batches.forEach((batch, b) => {
    const real = Array.from({ length: batch.batch * batch.seq }, (_, r) => batch.attentionMask[r] !== 0);
    tokens += real.filter(Boolean).length;
    referenceEncode(model, batch, (linear, input, rows) => {
      if (!names.has(linear.name)) return;
      let amax = ranges[linear.name];
      for (let r = 0; r < rows; r++) {
        if (!real[r]) continue; // padding tokens are not data
        for (let i = r * linear.in; i < (r + 1) * linear.in; i++) amax = Math.max(amax, Math.abs(input[i]));
      }
      ranges[linear.name] = amax;
    });
    onProgress?.(b + 1, batches.length);
  });
  if (tokens === 0) throw new RangeError('calibration needs at least one real token');
  return ranges;
}
