// The CPU reference forward (the encoder engine's ground truth) against onnxruntime-web (wasm)
// on BERT-shaped ONNX graphs built with the same weights, including padded batches.
import { describe, expect, it } from 'vitest';
import { buildTinyBertOnnx, type TinyBertOptions } from '../helpers/tiny-bert-onnx';
import { erf, gelu, referenceForward, validateBatch } from '../../src/core/model/reference-forward';
import { configureOrt, createBertSession } from '../../src/eval/ort-session';
import { randomBatch } from '../helpers/random-bert-model';

configureOrt({ threads: 1 });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('reference forward vs onnxruntime', () => {
  const cases: [string, TinyBertOptions][] = [
    ['decomposed LayerNorm, Gemm head', { seed: 3 }],
    ['fused LayerNorm, 3 labels, head size 6', { seed: 4, layerNorm: 'fused', hidden: 24, heads: 4, labels: 3 }],
    ['no pooler, Q/K scaled by d^-1/4', { seed: 5, pooler: false, scaleQK: true }],
    ['MatMul head, sliced positions', { seed: 6, head: 'matmul', positions: 'slice' }],
  ];
  for (const [name, opts] of cases) {
    it(`${name}: logits equal within 1e-4 on a padded batch`, async () => {
      const tiny = buildTinyBertOnnx(opts);
      const batch = randomBatch(tiny.model, 4, 9, opts.seed);
      const session = await createBertSession(tiny.bytes, { backend: 'wasm' });
      const big = (a: Int32Array) => BigInt64Array.from(a, (v) => BigInt(v));
      const { logits } = await session.run({
        batch: 4,
        seqLen: 9,
        inputIds: big(batch.inputIds),
        attentionMask: big(batch.attentionMask),
        tokenTypeIds: big(batch.tokenTypeIds),
      });
      await session.release();
      const ref = referenceForward(tiny.model, batch);
      expect(ref.length).toBe(4 * tiny.model.config.labels);
      expect(maxAbsDiff(ref, logits)).toBeLessThan(1e-4);
      // Not a constant: the sequences are told apart.
      expect(
        maxAbsDiff(
          ref.subarray(0, tiny.model.config.labels),
          ref.subarray(tiny.model.config.labels, 2 * tiny.model.config.labels),
        ),
      ).toBeGreaterThan(1e-4);
    });
  }

  it("padding does not change a sequence's logits", () => {
    const tiny = buildTinyBertOnnx({ seed: 8 });
    const b = randomBatch(tiny.model, 1, 6, 8);
    const short = referenceForward(tiny.model, b);
    const padded = {
      inputIds: [...b.inputIds, 0, 0, 0],
      attentionMask: [...b.attentionMask, 0, 0, 0],
      tokenTypeIds: [...b.tokenTypeIds, 0, 0, 0],
      batch: 1,
      seq: 9,
    };
    expect(maxAbsDiff(referenceForward(tiny.model, padded), short)).toBeLessThan(1e-5);
  });
});

describe('reference forward helpers', () => {
  it('erf and GELU match known values', () => {
    for (const [x, v] of [
      [0, 0],
      [0.5, 0.5204998778],
      [1, 0.8427007929],
      [-2, -0.995322265],
      [3, 0.9999779095],
    ])
      expect(Math.abs(erf(x) - v)).toBeLessThan(2e-7);
    expect(gelu(1)).toBeCloseTo(0.8413447461, 6);
    expect(gelu(-3)).toBeCloseTo(-0.0040496, 6);
  });

  it('rejects bad batches with messages that say what is wrong', () => {
    const { model } = buildTinyBertOnnx({ seed: 1 });
    const ok = { inputIds: [1, 2, 3, 4], attentionMask: [1, 1, 1, 0], batch: 2, seq: 2 };
    expect(() => validateBatch(model, ok)).not.toThrow();
    expect(() => validateBatch(model, { ...ok, inputIds: [1, 2, 3] })).toThrow(
      /inputIds has 3 entries, expected batch\*seq = 4/,
    );
    expect(() => validateBatch(model, { ...ok, inputIds: [1, 2, 3, 1e6] })).toThrow(/outside the vocabulary/);
    expect(() => validateBatch(model, { ...ok, attentionMask: [1, 1, 0, 0] })).toThrow(
      /sequence 1 has an all-zero attention mask/,
    );
    expect(() => validateBatch(model, { ...ok, tokenTypeIds: [0, 0, 5, 0] })).toThrow(/tokenTypeIds\[2\] = 5/);
    expect(() =>
      validateBatch(model, {
        ...ok,
        seq: 1e4,
        batch: 1,
        inputIds: new Array(1e4).fill(1),
        attentionMask: new Array(1e4).fill(1),
      }),
    ).toThrow(/exceeds the model's/);
  });
});
