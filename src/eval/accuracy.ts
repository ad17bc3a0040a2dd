// Accuracy of a BERT classifier on a labelled dataset: tokenize in batches, run the ORT session,
// argmax, count. Shared by the eval worker (browser), the CLI and the pruning sweep (Node).
import type { Dataset } from '../core/data/dataset';
import { checkLabels, takeFirst } from '../core/data/dataset';
import { quickSample } from '../core/data/quick-sample';
import type { BertTokenizer } from '../core/model/tokenizer';
import type { EncodedBatch } from '../core/model/tokenizer';
import { createBertSession, type BertSessionOptions, type OrtBackend } from './ort-session';

/** What the loop needs of a model: an onnxruntime session (ort-session.ts) or the integer
 *  model (core/quant/session.ts). */
export interface ClassifierSession<B extends string = string> {
  readonly backend: B;
  readonly fallbackReason?: string;
  run(batch: EncodedBatch): Promise<{ logits: Float32Array; labels: number }>;
}

export interface EvalOptions {
  /** Evaluate the first `limit` sentences only. */
  limit?: number;
  /** Evaluate the quick sample of this many sentences (quick-sample.ts: stratified, fixed) instead. */
  quick?: number;
  /** Sentences per ORT run. Default 32. */
  batch?: number;
  /** Tokens per sentence, [CLS] and [SEP] included. Default 128. */
  maxLength?: number;
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; aborting rejects with EvalCancelledError. */
  signal?: AbortSignal;
  /** Keep every sentence's logits in the result (tests, fixtures), in dataset order. */
  keepLogits?: boolean;
  /** Batch sentences of similar token length together (less padding). Default true. */
  sortByLength?: boolean;
}

export interface EvalResult<B extends string = OrtBackend> {
  accuracy: number;
  correct: number;
  n: number;
  /** Wall time of tokenization + inference, ms (session creation excluded). */
  ms: number;
  sentencesPerSecond: number;
  backend: B;
  fallbackReason?: string;
  /** Predicted class per sentence. */
  predictions: Int32Array;
  logits?: Float32Array;
}

export class EvalCancelledError extends Error {
  constructor() {
    super('Evaluation cancelled.');
    this.name = 'EvalCancelledError';
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export async function evaluateSession<B extends string>(
  session: ClassifierSession<B>,
  tokenizer: BertTokenizer,
  data: Dataset,
  opts: EvalOptions = {},
): Promise<EvalResult<B>> {
  const subset = opts.quick !== undefined ? quickSample(data, opts.quick) : takeFirst(data, opts.limit);
  const n = subset.texts.length;
  const batch = Math.max(1, Math.floor(opts.batch ?? 32));
  const predictions = new Int32Array(n);
  let logitsAll: Float32Array | undefined;
  let correct = 0;
  const t0 = now();
  const rows = subset.texts.map((t) => tokenizer.encode(t, opts.maxLength ?? 128));
  // Batches of similar length waste little on padding (a stable sort: the order, hence every
  // result, is deterministic for a given dataset and batch size).
  const order = Array.from({ length: n }, (_, i) => i);
  if (opts.sortByLength !== false) order.sort((a, b) => rows[a].length - rows[b].length);
  for (let start = 0; start < n; start += batch) {
    if (opts.signal?.aborted) throw new EvalCancelledError();
    const idx = order.slice(start, start + batch);
    const { logits, labels } = await session.run(tokenizer.pad(idx.map((i) => rows[i])));
    if (start === 0) {
      checkLabels(subset, labels);
      if (opts.keepLogits) logitsAll = new Float32Array(n * labels);
    }
    idx.forEach((i, b) => {
      let best = 0;
      for (let c = 1; c < labels; c++) if (logits[b * labels + c] > logits[b * labels + best]) best = c;
      predictions[i] = best;
      if (best === subset.labels[i]) correct++;
      logitsAll?.set(logits.subarray(b * labels, (b + 1) * labels), i * labels);
    });
    opts.onProgress?.(Math.min(start + batch, n), n);
  }
  const ms = now() - t0;
  return {
    accuracy: n ? correct / n : 0,
    correct,
    n,
    ms,
    sentencesPerSecond: ms > 0 ? (n * 1000) / ms : 0,
    backend: session.backend,
    fallbackReason: session.fallbackReason,
    predictions,
    logits: logitsAll,
  };
}

/** One-shot: session from ONNX bytes (e.g. a pruned variant from writeBertOnnx), evaluate, release. */
export async function evaluateOnnx(
  bytes: Uint8Array,
  tokenizer: BertTokenizer,
  data: Dataset,
  opts: EvalOptions & BertSessionOptions = {},
): Promise<EvalResult> {
  const session = await createBertSession(bytes, { backend: opts.backend ?? 'wasm' });
  try {
    return await evaluateSession(session, tokenizer, data, opts);
  } finally {
    await session.release();
  }
}
