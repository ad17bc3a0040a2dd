// What an accuracy run needs of a classifier: logits for a batch of encoded sentences. Both
// onnxruntime-web (ort-session.ts) and the project's WGSL engine (lab/engine-session.ts) are
// one, so evaluateSession (accuracy.ts) runs the same tokenize -> batch -> argmax code on each.
import type { EncodedBatch } from '../core/model/tokenizer';

export type OrtBackend = 'webgpu' | 'wasm';

export interface BertSession {
  readonly backend: OrtBackend;
  /** Why WebGPU was not used, when it was wanted (shown to the user). */
  readonly fallbackReason?: string;
  /** Logits, batch x labels, row-major. */
  run(batch: EncodedBatch): Promise<{ logits: Float32Array; labels: number }>;
  release(): Promise<void>;
}
