// The engine behind eval/'s BertSession interface, so accuracy runs (evaluateSession: tokenize,
// batch by length, argmax, count) go through exactly the code ORT's runs go through.
import type { BertSession } from '../eval/session';
import type { EncoderEngine } from '../gpu/encoder/engine-api';

export function engineSession(engine: EncoderEngine): BertSession {
  return {
    backend: 'webgpu',
    async run(b) {
      const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, b.batch, b.seqLen);
      return { logits, labels: engine.labels };
    },
    async release() {
      // The caller owns the engine (it is reused across evaluations).
    },
  };
}
