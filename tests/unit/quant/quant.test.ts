// core/quant: the codes, the integer linears (dense and HP agree exactly; both near f32), and the
// integer BERT forward (near the f32 reference; static ranges from calibration).
import { describe, expect, it } from 'vitest';
import { decodeHP, keptInputs } from '../../../src/core/formats/hp';
import { denseLinear } from '../../../src/core/cpu/linear';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { referenceAttention, referenceForward } from '../../../src/core/model/reference-forward';
import { pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import {
  collectInputRanges,
  dequantizeRows,
  intDenseLinear,
  intEpilogue,
  intAttention,
  intHPLinear,
  quantizeBert,
  quantizeHP,
  quantizedForward,
  quantizeRows,
  quantizeStatic,
  readColumns,
  roundHalfEven,
  SOFTMAX_THRESHOLDS,
  softmaxCode,
} from '../../../src/core/quant';
import { randomBatch, randomBertModel, rng } from '../../helpers/random-bert-model';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const randn = (n: number, seed: number, scale = 1) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('codes', () => {
  it('round half to even, like WGSL round()', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, -3.7].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3, -4,
    ]);
  });

  it('per-row codes span ±127 (int8) or ±32767 (int16), zero rows stay zero, error <= half a step', () => {
    const x = randn(5 * 33, 1);
    x.fill(0, 66, 99); // row 2 all zero
    for (const bits of [8, 16] as const) {
      const q = quantizeRows(x, 5, 33, bits);
      const qmax = bits === 8 ? 127 : 32767;
      expect(q.q).toBeInstanceOf(bits === 8 ? Int8Array : Int16Array);
      expect(q.scales[2]).toBe(0);
      expect(Array.from(q.q.subarray(66, 99)).every((v) => v === 0)).toBe(true);
      for (const r of [0, 1, 3, 4]) expect(maxAbs(q.q.subarray(r * 33, (r + 1) * 33))).toBe(qmax);
      const back = dequantizeRows(q);
      for (let i = 0; i < x.length; i++)
        expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(q.scales[Math.floor(i / 33)] / 2 + 1e-7);
    }
  });

  it('static codes use one calibrated range and clamp what lies beyond it', () => {
    const x = Float32Array.of(0.5, -2, 1, 0.25);
    const q = quantizeStatic(x, 2, 2, 1, 8);
    expect(Array.from(q.q)).toEqual([64, -127, 127, 32]);
    expect(Array.from(q.scales)).toEqual([Math.fround(1 / 127), Math.fround(1 / 127)]);
  });
});

describe('integer linears', () => {
  const tokens = 6,
    nIn = 40,
    out = 24;
  const x = randn(tokens * nIn, 2);
  const w = randn(out * nIn, 3, 0.2);
  const bias = randn(out, 4, 0.1);

  it('dense: exact integer sums, then the f32 epilogue; near the f32 product', () => {
    const xq = quantizeRows(x, tokens, nIn, 8);
    const wq = quantizeRows(w, out, nIn, 8);
    const y = intDenseLinear(xq, wq, bias);
    for (let t = 0; t < tokens; t++) {
      for (let o = 0; o < out; o++) {
        let acc = 0;
        for (let i = 0; i < nIn; i++) acc += xq.q[t * nIn + i] * wq.q[o * nIn + i];
        expect(y[t * out + o]).toBe(intEpilogue(acc, xq.scales[t], wq.scales[o], bias[o]));
      }
    }
    const ref = denseLinear(x, tokens, w, out, nIn, bias);
    const err8 = maxDiff(y, ref);
    const err16 = maxDiff(intDenseLinear(quantizeRows(x, tokens, nIn, 16), quantizeRows(w, out, nIn, 16), bias), ref);
    expect(err8).toBeLessThan(0.02 * maxAbs(ref));
    expect(err16).toBeLessThan(err8 / 50);
  });

  it('HP: the same outputs as the dense integer linear on the pruned weights, bit for bit', () => {
    const hp = pruneMatrix(
      { name: 'w', out, in: nIn, weight: w },
      { pattern: 'hp', sparsity: 0.7, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
    ).hp!;
    for (const bits of [8, 16] as const) {
      const xq = quantizeRows(x, tokens, nIn, bits);
      const dense = intDenseLinear(xq, quantizeRows(decodeHP(hp), out, nIn, bits), bias);
      expect(intHPLinear(xq, hp, quantizeHP(hp, bits), bias)).toEqual(dense);
    }
  });

  it('refuses mismatched shapes and widths', () => {
    const xq = quantizeRows(x, tokens, nIn, 8);
    expect(() => intDenseLinear(xq, quantizeRows(w.subarray(0, out * 20), out, 20, 8))).toThrow(
      /40 columns, the weight has 20 inputs/,
    );
    expect(() => intDenseLinear(xq, quantizeRows(w, out, nIn, 16))).toThrow(/int8, the weight int16/);
  });
});

describe('integer BERT forward', () => {
  const model = randomBertModel({}, 5);
  const batch = randomBatch(model, 3, 7, 9);
  const ref = referenceForward(model, batch);

  it('W8A8 dynamic and static logits stay near f32; W16A16 nearer still', () => {
    const d8 = quantizedForward(quantizeBert(model, { bits: 8, activations: 'dynamic' }), batch);
    const d16 = quantizedForward(quantizeBert(model, { bits: 16, activations: 'dynamic' }), batch);
    const ranges = collectInputRanges(model, [randomBatch(model, 4, 7, 21)]);
    expect(Object.keys(ranges)).toEqual(prunableLinears(model).map((l) => l.name));
    const s8 = quantizedForward(quantizeBert(model, { bits: 8, activations: 'static', ranges }), batch);
    const scale = maxAbs(ref);
    expect(maxDiff(d8, ref)).toBeLessThan(0.05 * scale);
    expect(maxDiff(s8, ref)).toBeLessThan(0.1 * scale);
    expect(maxDiff(d16, ref)).toBeLessThan(maxDiff(d8, ref) / 20);
    expect(maxDiff(d8, ref)).toBeGreaterThan(0); // it is not the f32 path
  });

  it('an HP-pruned model gives the same logits from its HP arrays as from its dense zeros', () => {
    const hp = new Map(
      prunableLinears(model).map((l) => [
        l.name,
        pruneMatrix(
          { name: l.name, out: l.out, in: l.in, weight: l.weight },
          { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 8, tc: 8, score: 'magnitude' },
        ).hp!,
      ]),
    );
    const pruned = structuredClone(model);
    for (const l of prunableLinears(pruned)) l.weight = decodeHP(hp.get(l.name)!);
    const q8 = { bits: 8, activations: 'dynamic', scale: 'row' } as const;
    const viaDense = quantizedForward(quantizeBert(pruned, q8), batch);
    const viaHP = quantizedForward(quantizeBert(pruned, q8, hp), batch);
    expect(viaHP).toEqual(viaDense);
    // The read scale: each HP input's scale over its kept columns (Q/K/V: their union), so other
    // codes, still near f32; a dense model reads every column (no read sets: the same logits).
    const read = readColumns(pruned, hp);
    const union = (names: string[]) =>
      names.map((n) => keptInputs(hp.get(n)!)).reduce((u, k) => u.map((v, c) => v | k[c]));
    for (const layer of pruned.layers) {
      const qkv = union([layer.q.name, layer.k.name, layer.v.name]);
      for (const [l, want] of [
        [layer.q, qkv],
        [layer.v, qkv],
        [layer.ffnIn, union([layer.ffnIn.name])],
        [layer.ffnOut, union([layer.ffnOut.name])],
      ] as const)
        expect(read.get(l.name), l.name).toEqual(want.every((v) => v) ? undefined : want);
    }
    expect(read.size).toBeGreaterThan(0);
    // 'read-out': the attention output's and FFN-out's read columns alone.
    const outs = readColumns(pruned, hp, true);
    expect(outs.size).toBeGreaterThan(0);
    for (const layer of pruned.layers) {
      for (const l of [layer.q, layer.k, layer.v, layer.ffnIn]) expect(outs.has(l.name)).toBe(false);
      for (const l of [layer.attnOut, layer.ffnOut]) expect(outs.get(l.name)).toEqual(read.get(l.name));
    }
    expect(readColumns(model).size).toBe(0);
    const viaRead = quantizedForward(quantizeBert(pruned, { ...q8, scale: 'read' }, hp), batch);
    expect(viaRead).not.toEqual(viaHP);
    expect(maxAbsDiff(viaRead, referenceForward(pruned, batch))).toBeLessThan(0.05);
    const dense = quantizedForward(quantizeBert(model, q8), batch);
    expect(quantizedForward(quantizeBert(model, { ...q8, scale: 'read' }), batch)).toEqual(dense);
  });

  it('quantizeRows with `read`: the range over the columns read, the others coded 0', () => {
    const x = Float32Array.of(0.5, -8, 1, 0.25, Number.NaN, -0.75);
    const read = Uint8Array.of(1, 0, 1, 1, 0, 1);
    const r = quantizeRows(x, 2, 3, 8, Uint8Array.of(1, 0, 1));
    expect(Array.from(r.scales)).toEqual([
      Math.fround(Math.fround(1) * Math.fround(1 / 127)),
      Math.fround(0.75 * Math.fround(1 / 127)),
    ]);
    expect(Array.from(r.q)).toEqual([64, 0, 127, 42, 0, -127]);
    expect(() => quantizeRows(x, 1, 6, 8, read.subarray(0, 5))).toThrow(/read has 5 columns/);
    // Everything read: the whole row's codes.
    expect(quantizeRows(x.subarray(0, 3), 1, 3, 8, Uint8Array.of(1, 1, 1))).toEqual(
      quantizeRows(x.subarray(0, 3), 1, 3, 8),
    );
  });

  it('static quantization without a range says which linear lacks one', () => {
    expect(() => quantizeBert(model, { bits: 8, activations: 'static', ranges: {} })).toThrow(
      /calibrated range for layer\.0/,
    );
  });
});

describe('integer attention', () => {
  it('softmax codes: round(127 exp(x)) through the f32 thresholds, 127 at the row maximum', () => {
    expect(softmaxCode(0)).toBe(127);
    expect(softmaxCode(-100)).toBe(0);
    const r = rng(3);
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(-8 * r() ** 2);
      expect(softmaxCode(x)).toBe(Math.round(127 * Math.exp(x)));
    }
    for (let k = 1; k < 128; k++) {
      // T[k] is the least f32 with code k: one ulp below it is code k - 1.
      const below = new Float32Array([SOFTMAX_THRESHOLDS[k]]);
      new Int32Array(below.buffer)[0] += 1; // negative: one ulp more negative
      expect([softmaxCode(SOFTMAX_THRESHOLDS[k]), softmaxCode(below[0])]).toEqual([k, k - 1]);
    }
  });

  it('near the f32 attention; masked keys take no part; the integer model runs it as an option', () => {
    const [batch, seq, hidden, heads] = [2, 9, 24, 2];
    const n = batch * seq * hidden;
    const [q, k, v] = [randn(n, 11, 2), randn(n, 12, 2), randn(n, 13)];
    const mask = Array.from({ length: batch * seq }, (_, i) => (i % seq < (i < seq ? 9 : 5) ? 1 : 0));
    const f = referenceAttention(q, k, v, mask, batch, seq, hidden, heads);
    const got = intAttention(q, k, v, mask, batch, seq, hidden, heads);
    expect(maxDiff(got, f)).toBeLessThan(0.05);
    expect(maxDiff(got, f)).toBeGreaterThan(0);
    // Masked keys (sequence 1, positions 5..8): other values there change nothing.
    const [k2, v2] = [k.slice(), v.slice()];
    for (let i = (seq + 5) * hidden; i < 2 * seq * hidden; i++) [k2[i], v2[i]] = [100, -100];
    expect(intAttention(q, k2, v2, mask, batch, seq, hidden, heads)).toEqual(got);
    const model = randomBertModel({}, 5);
    const b = randomBatch(model, 3, 7, 9);
    const lin = quantizedForward(quantizeBert(model, { bits: 8, activations: 'dynamic' }), b);
    const all = quantizedForward(quantizeBert(model, { bits: 8, activations: 'dynamic', attention: 'int8' }), b);
    expect(maxDiff(all, lin)).toBeGreaterThan(0);
    expect(maxDiff(all, referenceForward(model, b))).toBeLessThan(0.1 * maxAbs(lin));
    expect(() => quantizeBert(model, { bits: 16, activations: 'dynamic', attention: 'int8' })).toThrow(/8-bit/);
  });
});
