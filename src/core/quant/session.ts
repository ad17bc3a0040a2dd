// The integer model behind the same run() interface as an onnxruntime session, so the accuracy
// loop (src/eval/accuracy.ts) measures it exactly as it measures the f32 model.
import type { EncodedBatch } from '../model/tokenizer';
import { quantizedForward, type QuantizedBert } from './quantized-bert';

export interface QuantSession {
  readonly backend: 'int8-cpu' | 'int16-cpu';
  run(batch: EncodedBatch): Promise<{ logits: Float32Array; labels: number }>;
  release(): Promise<void>;
}

export function quantSession(q: QuantizedBert): QuantSession {
  return {
    backend: q.bits === 8 ? 'int8-cpu' : 'int16-cpu',
    async run(b) {
      const logits = quantizedForward(q, {
        inputIds: Array.from(b.inputIds, Number),
        attentionMask: Array.from(b.attentionMask, Number),
        tokenTypeIds: Array.from(b.tokenTypeIds, Number),
        batch: b.batch,
        seq: b.seqLen,
      });
      return { logits, labels: logits.length / b.batch };
    },
    release: async () => {},
  };
}
