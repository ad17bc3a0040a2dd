// What the pruning and sweep panels need from the evaluation side (the eval worker): accuracy of
// ONNX bytes on the dev split, with progress and cancellation. The page passes it in as a prop.
export type EvaluateFn = (
  onnx: Uint8Array,
  opts: { limit?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
) => Promise<{ accuracy: number; n: number }>;
