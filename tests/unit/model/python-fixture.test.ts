// The shipped model against Python: onnxruntime (CPU) logits recorded by scripts/train/train.py
// for 16 dev sentences must be reproduced by onnxruntime-web (wasm) from the same ids, by our
// tokenizer + eval path from the raw texts, and (looser, float32 sums) by the parsed weights.
import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { referenceForward } from '../../../src/core/model/reference-forward';
import { BertTokenizer } from '../../../src/core/model/tokenizer';
import { evaluateOnnx } from '../../../src/eval/accuracy';
import { configureOrt } from '../../../src/eval/ort-session';

const FIXTURE = 'tests/fixtures/model/logits-fixture.json';
interface LogitsFixture {
  model: string;
  maxLength: number;
  texts: string[];
  labels: number[];
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  logits: number[][];
}
const fx: LogitsFixture | null = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : null;
const ready = !!fx && existsSync(fx.model);

describe.skipIf(!ready)('shipped model vs Python onnxruntime fixture', { timeout: 120_000 }, () => {
  const f = fx!;
  const bytes = ready ? new Uint8Array(readFileSync(f.model)) : new Uint8Array();
  const tok = BertTokenizer.fromJson(JSON.parse(readFileSync('public/tokenizer/tokenizer.json', 'utf8')));
  configureOrt({ threads: 1 });

  test('onnxruntime-web wasm reproduces the logits within 1e-4', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const [b, s] = [f.input_ids.length, f.input_ids[0].length];
    const t = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [b, s]);
    const out = await session.run({
      input_ids: t(f.input_ids),
      attention_mask: t(f.attention_mask),
      token_type_ids: t(f.token_type_ids),
    });
    const got = out.logits.data as Float32Array;
    f.logits.flat().forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-4));
    await session.release();
  });

  test('our tokenizer gives the same ids and the eval path the same logits', async () => {
    const enc = tok.encodeBatch(f.texts, { maxLength: f.maxLength });
    expect(Array.from(enc.inputIds, Number)).toEqual(f.input_ids.flat());
    expect(Array.from(enc.attentionMask, Number)).toEqual(f.attention_mask.flat());
    const r = await evaluateOnnx(
      bytes,
      tok,
      { texts: f.texts, labels: Int32Array.from(f.labels), labelCount: 2 },
      { batch: 16, maxLength: f.maxLength, keepLogits: true },
    );
    f.logits.flat().forEach((v, i) => expect(Math.abs(r.logits![i] - v)).toBeLessThan(1e-4));
  });

  test('the parsed weights (plain TS forward) agree to 1e-3', () => {
    const { model } = parseBertOnnx(bytes);
    for (const row of [0, 5]) {
      const n = f.attention_mask[row].reduce((a, v) => a + v, 0);
      const ids = f.input_ids[row].slice(0, n);
      const logits = referenceForward(model, { inputIds: ids, attentionMask: ids.map(() => 1), batch: 1, seq: n });
      f.logits[row].forEach((v, i) => expect(Math.abs(logits[i] - v)).toBeLessThan(1e-3));
    }
  });
});
