// What the pruning and sweep panels need from the evaluation side: accuracy of ONNX bytes on the
// loaded (dev) split, with progress and cancellation. The page passes an EvaluateFn in as a prop;
// `evaluateWithEvalWorker` is the one over the eval worker (its tokenizer and dataset must be
// loaded there first).
import { evaluate } from '../../../workers/eval.client';

export type EvaluateFn = (
  onnx: Uint8Array,
  opts: { limit?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
) => Promise<{ accuracy: number; n: number }>;

export const evaluateWithEvalWorker: EvaluateFn = async (onnx, opts) => {
  const run = evaluate({ bytes: onnx, limit: opts.limit }, opts.onProgress);
  const onAbort = () => run.cancel();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const r = await run.result;
    return { accuracy: r.accuracy, n: r.n };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
};
