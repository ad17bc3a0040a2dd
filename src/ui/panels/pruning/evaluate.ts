// What the pruning and sweep panels need from the evaluation side: accuracy of ONNX bytes on the
// loaded (dev) split, with progress and cancellation. The page passes an EvaluateFn in as a prop;
// `evaluateWithEvalWorker` is the one over the eval worker (its tokenizer and dataset must be
// loaded there first).
import { evaluate } from '../../../workers/eval.client';
import { QUICK_BATCH } from '../first/accuracy-text';

export type EvaluateFn = (
  onnx: Uint8Array,
  opts: {
    limit?: number;
    /** The quick sample of this many sentences (core/data/quick-sample.ts). */
    quick?: number;
    batch?: number;
    onProgress?: (done: number, total: number) => void;
    signal?: AbortSignal;
  },
) => Promise<{ accuracy: number; n: number }>;

export const evaluateWithEvalWorker: EvaluateFn = async (onnx, opts) => {
  const run = evaluate({ bytes: onnx, limit: opts.limit, quick: opts.quick, batch: opts.batch }, opts.onProgress);
  const onAbort = () => run.cancel();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const r = await run.result;
    return { accuracy: r.accuracy, n: r.n };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
};

/**
 * The panels' accuracy readout: the quick sample of `quickLimit` sentences first (reported through
 * `onQuick`), then the whole split; progress in [0, 1] over both. Resolves null when `signal`
 * aborted it.
 */
export async function quickThenFull(
  evaluate: EvaluateFn,
  bytes: Uint8Array,
  quickLimit: number,
  signal: AbortSignal,
  onProgress: (p: number) => void,
  onQuick: (accuracy: number, n: number) => void,
): Promise<{ quick: number; full: number; n: number } | null> {
  const quick = await evaluate(bytes.slice(), {
    quick: quickLimit,
    batch: QUICK_BATCH,
    signal,
    onProgress: (d, t) => onProgress((0.3 * d) / t),
  });
  if (signal.aborted) return null;
  onQuick(quick.accuracy, quick.n);
  const full = await evaluate(bytes, { signal, onProgress: (d, t) => onProgress(0.3 + (0.7 * d) / t) });
  if (signal.aborted) return null;
  return { quick: quick.accuracy, full: full.accuracy, n: full.n };
}
