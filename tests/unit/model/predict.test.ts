import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { BertTokenizer } from '../../../src/core/model/tokenizer';
import { referenceForward } from '../../../src/core/model/reference-forward';
import { configureOrt, createBertSession } from '../../../src/eval/ort-session';
import { predictText, predictionFromLogits } from '../../../src/eval/predict';

configureOrt({ threads: 1 });

describe('one sentence: class and confidence', () => {
  test('softmax and argmax, stable for large logits', () => {
    const p = predictionFromLogits([1000, 1002]);
    expect(p.label).toBe(1);
    expect(p.probs[0] + p.probs[1]).toBeCloseTo(1, 12);
    expect(p.probs[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  test('agrees with the reference forward pass of a tiny BERT', async () => {
    const tok = BertTokenizer.fromJson(JSON.parse(readFileSync('public/tokenizer/tokenizer.json', 'utf8')));
    const tiny = buildTinyBertOnnx({ vocab: 30522, maxPositions: 64, seed: 5 });
    const session = await createBertSession(tiny.bytes, { backend: 'wasm' });
    try {
      const text = 'a gorgeous, witty, seductive movie.';
      const ids = tok.encode(text, 64);
      const ref = predictionFromLogits(
        referenceForward(tiny.model, { inputIds: ids, attentionMask: ids.map(() => 1), batch: 1, seq: ids.length }),
      );
      const got = await predictText(session, tok, text, 64);
      expect(got.label).toBe(ref.label);
      got.probs.forEach((p, i) => expect(p).toBeCloseTo(ref.probs[i], 4));
    } finally {
      await session.release();
    }
  }, 60_000);
});
