import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { BertTokenizer } from '../../../src/core/model/tokenizer';
import { parseJsonl, type Dataset } from '../../../src/core/data/dataset';
import { referenceForward } from '../../../src/core/model/reference-forward';
import { configureOrt, createBertSession } from '../../../src/eval/ort-session';
import { evaluateOnnx, evaluateSession, EvalCancelledError } from '../../../src/eval/accuracy';

configureOrt({ threads: 1 });
const tok = BertTokenizer.fromJson(JSON.parse(readFileSync('public/tokenizer/tokenizer.json', 'utf8')));
// A tiny random BERT over the real vocabulary, so real sentences tokenize into valid ids.
const tiny = buildTinyBertOnnx({ vocab: 30522, maxPositions: 64, seed: 21 });
const sentences = parseJsonl(readFileSync('public/data/dev.jsonl', 'utf8')).texts.slice(0, 24);

/** Labels = the reference forward pass's argmax: the model must score 100% on them. */
function labelledByReference(): Dataset {
  const labels = Int32Array.from(sentences, (text) => {
    const ids = tok.encode(text, 64);
    const logits = referenceForward(tiny.model, {
      inputIds: ids,
      attentionMask: ids.map(() => 1),
      batch: 1,
      seq: ids.length,
    });
    return logits[1] > logits[0] ? 1 : 0;
  });
  return { texts: sentences, labels, labelCount: 2 };
}

describe('accuracy with onnxruntime-web (wasm, Node)', () => {
  const data = labelledByReference();

  test('100% on its own predictions, 0% on flipped labels, same at every batch size', async () => {
    const first = await evaluateOnnx(tiny.bytes, tok, data, { batch: 5, maxLength: 64 });
    expect(first).toMatchObject({ accuracy: 1, correct: 24, n: 24, backend: 'wasm' });
    expect(first.sentencesPerSecond).toBeGreaterThan(0);
    const flipped = { ...data, labels: data.labels.map((l) => 1 - l) };
    expect((await evaluateOnnx(tiny.bytes, tok, flipped, { batch: 24, maxLength: 64 })).accuracy).toBe(0);
    const one = await evaluateOnnx(tiny.bytes, tok, data, { batch: 1, maxLength: 64, keepLogits: true });
    expect(Array.from(one.predictions)).toEqual(Array.from(data.labels));
    expect(one.logits).toHaveLength(48);
  }, 60_000);

  test('limit, progress and cancellation', async () => {
    const session = await createBertSession(tiny.bytes, { backend: 'wasm' });
    const progress: number[] = [];
    const r = await evaluateSession(session, tok, data, {
      limit: 10,
      batch: 4,
      maxLength: 64,
      onProgress: (d) => progress.push(d),
    });
    expect(r.n).toBe(10);
    expect(progress).toEqual([4, 8, 10]);
    // The quick sample instead of the first sentences (core/data/quick-sample.ts).
    expect(await evaluateSession(session, tok, data, { quick: 12, batch: 4, maxLength: 64 })).toMatchObject({
      n: 12,
      accuracy: 1,
    });
    const ctl = new AbortController();
    const run = evaluateSession(session, tok, data, {
      batch: 4,
      maxLength: 64,
      signal: ctl.signal,
      onProgress: (d) => d >= 8 && ctl.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(EvalCancelledError);
    await session.release();
  });

  test('a dataset with more classes than the model is refused', async () => {
    const three = { ...data, labels: data.labels.map((l, i) => (i === 3 ? 2 : l)), labelCount: 3 };
    await expect(evaluateOnnx(tiny.bytes, tok, three, { maxLength: 64 })).rejects.toMatchObject({
      code: 'label-mismatch',
    });
  });
});
