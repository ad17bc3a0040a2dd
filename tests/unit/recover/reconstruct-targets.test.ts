// Reconstruction towards other targets than X Wᵀ (the dense model's outputs, 'lsq-dense'): the
// kept weights solve the damped normal equations for Y; with Y = X Wᵀ it is plain reconstruction.
import { describe, expect, it } from 'vitest';
import { pruneMatrix } from '../../../src/core/pruning';
import { CrossAccumulator, GramAccumulator } from '../../../src/core/recover/gram';
import { dampedGram, reconstructLinear } from '../../../src/core/recover/reconstruct';
import { rng } from '../../../src/core/random';

const OUT = 8,
  IN = 12,
  T = 50;

function setup(seed: number) {
  const rand = rng(seed);
  const x = Float32Array.from({ length: T * IN }, (_, i) => rand() - 0.5 + (i % IN === 3 ? 0.5 : 0));
  const weight = Float32Array.from({ length: OUT * IN }, () => rand() - 0.5);
  const g = new GramAccumulator(IN);
  g.add(x, T);
  return { rand, x, weight, gram: g.matrix() };
}

/** Xᵀ Y, in x out, with Y = X2 Wᵀ. */
function crossOf(x: Float32Array, x2: Float32Array, w: Float32Array): Float64Array {
  const c = new Float64Array(IN * OUT);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < OUT; o++) {
      let y = 0;
      for (let j = 0; j < IN; j++) y += x2[t * IN + j] * w[o * IN + j];
      for (let i = 0; i < IN; i++) c[i * OUT + o] += x[t * IN + i] * y;
    }
  }
  return c;
}

const masks = (w: Float32Array) => ({
  hp: pruneMatrix(
    { name: 'w', out: OUT, in: IN, weight: w },
    { pattern: 'hp', sparsity: 0.6, score: 'magnitude', tr: 4, tc: 4, split: 0.5 },
  ).mask,
  unstructured: pruneMatrix(
    { name: 'w', out: OUT, in: IN, weight: w },
    { pattern: 'unstructured', sparsity: 0.6, score: 'magnitude', tr: 4, tc: 4, split: 0.5 },
  ).mask,
});

describe('reconstruction towards given targets', () => {
  it('CrossAccumulator sums Xᵀ (Y - bias) over kept rows, across chunks; with blocks, only theirs', () => {
    const rand = rng(9);
    const [rows, d, out] = [600, 7, 21]; // more rows than two chunks, odd sizes
    const x = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
    const y = Float32Array.from({ length: rows * out }, () => rand() - 0.5);
    const bias = Float32Array.from({ length: out }, () => rand());
    const keep = (r: number) => r % 3 !== 1;
    const want = (i: number, o: number) => {
      let s = 0;
      for (let r = 0; r < rows; r++) if (keep(r)) s += x[r * d + i] * (y[r * out + o] - bias[o]);
      return s;
    };
    // Row groups as a mask gives them: rows [start, end) keep `cols`; starts off the 8-grid too.
    const blocks = [
      { start: 0, end: 5, cols: [1, 4] },
      { start: 5, end: 19, cols: [0, 2, 3, 6] },
      { start: 19, end: 21, cols: [5] },
    ];
    for (const b of [undefined, blocks]) {
      const acc = new CrossAccumulator(d, out, b);
      acc.add(x, y, rows, keep, bias);
      const c = acc.matrix();
      // Without the target sums the bias comes off in WebAssembly: the same bits.
      const fast = new CrossAccumulator(d, out, b, undefined, false);
      fast.add(x, y, rows, keep, bias);
      expect(fast.matrix()).toEqual(c);
      // Rows with and without a bias (a chunk ends where the bias changes: other f32 partial sums).
      const mixed = new CrossAccumulator(d, out, b, undefined, false);
      mixed.add(x, y, 400, keep, bias);
      const rest = (a: Float32Array, w: number) => a.subarray(400 * w);
      mixed.add(
        rest(x, d),
        rest(y, out).map((v, i) => v - bias[i % out]),
        rows - 400,
        (r) => keep(r + 400),
      );
      mixed.matrix().forEach((v, i) => expect(v).toBeCloseTo(c[i], 4));
      for (let i = 0; i < d; i++)
        for (let o = 0; o < out; o++) {
          const inBlock = !b || b.some((k) => o >= k.start && o < k.end && k.cols.includes(i));
          expect(c[i * out + o]).toBeCloseTo(inBlock ? want(i, o) : 0, 4);
        }
    }
  });

  it('with Y = X Wᵀ gives the plain reconstruction (both solvers)', () => {
    const { x, weight, gram } = setup(5);
    const cross = crossOf(x, x, weight);
    for (const mask of Object.values(masks(weight))) {
      for (const method of ['grouped', 'sweep'] as const) {
        const plain = reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { method, damp: 0.02 }).weight;
        const targeted = reconstructLinear(
          { weight, out: OUT, in: IN, mask, gram, cross },
          { method, damp: 0.02 },
        ).weight;
        targeted.forEach((v, i) => expect(v).toBeCloseTo(plain[i], 4));
      }
    }
  });

  it('solves (H_SS + λI) w_S = (XᵀY)_S + λ w_S for other targets, mask kept', () => {
    const { rand, x, weight, gram } = setup(6);
    const x2 = x.map((v) => v + 0.3 * (rand() - 0.5)); // the dense model's own inputs differ
    const cross = crossOf(x, x2, weight);
    const h = dampedGram(gram, IN, 0.02);
    const mask = masks(weight).hp;
    const w = reconstructLinear(
      { weight, out: OUT, in: IN, mask, gram, cross },
      { method: 'grouped', damp: 0.02 },
    ).weight;
    for (let r = 0; r < OUT; r++) {
      for (let i = 0; i < IN; i++) {
        if (!mask[r * IN + i]) {
          expect(w[r * IN + i]).toBe(0);
          continue;
        }
        let lhs = 0;
        for (let j = 0; j < IN; j++) if (mask[r * IN + j]) lhs += h[i * IN + j] * w[r * IN + j];
        const rhs = cross[i * OUT + r] + (h[i * IN + i] - gram[i * IN + i]) * weight[r * IN + i];
        expect(lhs).toBeCloseTo(rhs, 3);
      }
    }
    // Nothing pruned: both solvers give the unconstrained solution.
    const all = new Uint8Array(OUT * IN).fill(1);
    const g = reconstructLinear(
      { weight, out: OUT, in: IN, mask: all, gram, cross },
      { method: 'grouped', damp: 0.02 },
    ).weight;
    const s = reconstructLinear(
      { weight, out: OUT, in: IN, mask: all, gram, cross },
      { method: 'sweep', damp: 0.02 },
    ).weight;
    g.forEach((v, i) => expect(s[i]).toBeCloseTo(v, 4));
    expect(g.some((v, i) => Math.abs(v - weight[i]) > 1e-3)).toBe(true);
  });
});

describe('reconstruction with the bias (an intercept column)', () => {
  // Inputs with a non-zero mean, so the bias has something to take up.
  const { x, weight, gram } = setup(11);
  const g = new GramAccumulator(IN);
  g.add(x, T);
  const bias = Float32Array.from({ length: OUT }, (_, o) => 0.1 * o - 0.3);
  const intercept = { bias, inputSum: g.sum, tokens: g.tokens };
  const mask = masks(weight).hp;

  it('sums the inputs beside H', () => {
    for (let i = 0; i < IN; i++) {
      let want = 0;
      for (let t = 0; t < T; t++) want += x[t * IN + i];
      expect(g.sum[i]).toBeCloseTo(want, 6);
    }
    expect(g.tokens).toBe(T);
  });

  it("b' = b + Σx·(w - w') / (T + λ): the bias takes up the pruned weights' mean contribution", () => {
    const damp = 0.02;
    const r = reconstructLinear({ weight, out: OUT, in: IN, mask, gram, intercept }, { method: 'grouped', damp });
    const h = dampedGram(gram, IN, damp);
    const lambda = h[0] - gram[0];
    expect(r.bias).toBeDefined();
    for (let o = 0; o < OUT; o++) {
      let shift = 0;
      for (let j = 0; j < IN; j++) shift += g.sum[j] * (weight[o * IN + j] - r.weight[o * IN + j]);
      expect(r.bias![o]).toBeCloseTo(bias[o] + shift / (T + lambda), 4);
      for (let j = 0; j < IN; j++) if (!mask[o * IN + j]) expect(r.weight[o * IN + j]).toBe(0);
    }
    // It moved, and the outputs (bias included) are closer to the dense layer's than without it.
    expect(r.bias!.some((v, o) => Math.abs(v - bias[o]) > 1e-3)).toBe(true);
    const plain = reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { method: 'grouped', damp }).weight;
    const err = (w: Float32Array, b: Float32Array) => {
      let e = 0;
      for (let t = 0; t < T; t++)
        for (let o = 0; o < OUT; o++) {
          let d = bias[o] - b[o];
          for (let j = 0; j < IN; j++) d += x[t * IN + j] * (weight[o * IN + j] - w[o * IN + j]);
          e += d * d;
        }
      return e;
    };
    expect(err(r.weight, r.bias!)).toBeLessThan(0.9 * err(plain, bias));
  });

  it('both solvers agree with nothing pruned (dense weights and bias back), and with targets', () => {
    const all = new Uint8Array(OUT * IN).fill(1);
    for (const method of ['grouped', 'sweep'] as const) {
      const r = reconstructLinear({ weight, out: OUT, in: IN, mask: all, gram, intercept }, { method, damp: 0.02 });
      r.weight.forEach((v, i) => expect(v).toBeCloseTo(weight[i], 4));
      r.bias!.forEach((v, o) => expect(v).toBeCloseTo(bias[o], 4));
    }
    // Targets Y = X Wᵀ + b given as Xᵀ (Y - b) and Σ (y - b): the same fit as without targets.
    const cross = crossOf(x, x, weight);
    const targetSum = new Float64Array(OUT);
    for (let o = 0; o < OUT; o++) for (let i = 0; i < IN; i++) targetSum[o] += g.sum[i] * weight[o * IN + i];
    for (const method of ['grouped', 'sweep'] as const) {
      const a = reconstructLinear({ weight, out: OUT, in: IN, mask, gram, intercept }, { method, damp: 0.02 });
      const b = reconstructLinear(
        { weight, out: OUT, in: IN, mask, gram, cross, intercept: { ...intercept, targetSum } },
        { method, damp: 0.02 },
      );
      b.weight.forEach((v, i) => expect(v).toBeCloseTo(a.weight[i], 4));
      b.bias!.forEach((v, o) => expect(v).toBeCloseTo(a.bias![o], 4));
    }
  });
});
