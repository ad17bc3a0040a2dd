import { describe, expect, it } from 'vitest';
import { applyMask, pruneMatrix, type PruneConfig } from '../../../src/core/pruning';
import { GramAccumulator } from '../../../src/core/recover/gram';
import { MaskedLinear } from '../../../src/core/recover/masked-linear';
import { Gemm } from '../../../src/core/recover/wasm-gemm';
import { reconstructionError, reconstructLinear, rowGroups } from '../../../src/core/recover/reconstruct';
import { denseLinear } from '../../../src/core/cpu/linear';
import { rng } from '../../../src/core/random';

const OUT = 8;
const IN = 12;
const TOKENS = 40;

function problem(seed: number) {
  const rand = rng(seed);
  // Correlated inputs (a shared component), as real activations are: pruning one input then
  // has something to lean on.
  const x = new Float32Array(TOKENS * IN);
  for (let t = 0; t < TOKENS; t++) {
    const common = rand() - 0.5;
    for (let j = 0; j < IN; j++) x[t * IN + j] = common + 0.6 * (rand() - 0.5) + (j % 3) * 0.1;
  }
  const weight = Float32Array.from({ length: OUT * IN }, () => rand() - 0.5);
  const g = new GramAccumulator(IN);
  g.add(x, TOKENS);
  return { x, weight, gram: g.matrix() };
}

function maskOf(weight: Float32Array, config: Partial<PruneConfig>): Uint8Array {
  const base: PruneConfig = { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 4, tc: 4, split: 0.5 };
  return pruneMatrix({ name: 'w', out: OUT, in: IN, weight }, { ...base, ...config }).mask;
}

/**
 * The oracle: for each row, min ||X (w - w')||² + λ ||w_S - w'_S||² over w'_S by the normal
 * equations, solved with Gaussian elimination and partial pivoting (not Cholesky).
 */
function bruteForce(x: Float32Array, weight: Float32Array, mask: Uint8Array, damp: number): Float32Array {
  let meanDiag = 0;
  for (let j = 0; j < IN; j++) for (let t = 0; t < TOKENS; t++) meanDiag += x[t * IN + j] ** 2;
  const lambda = (damp * meanDiag) / IN;
  const result = new Float32Array(OUT * IN);
  for (let r = 0; r < OUT; r++) {
    const s = [...Array(IN).keys()].filter((j) => mask[r * IN + j]);
    const y = Array.from(
      { length: TOKENS },
      (_, t) => s.length && [...Array(IN).keys()].reduce((a, j) => a + x[t * IN + j] * weight[r * IN + j], 0),
    );
    // Augmented system [A | b] with A = X_Sᵀ X_S + λI, b = X_Sᵀ y + λ w_S.
    const m = s.map((i, p) => [
      ...s.map(
        (j, q) =>
          (p === q ? lambda : 0) +
          Array.from({ length: TOKENS }, (_, t) => x[t * IN + i] * x[t * IN + j]).reduce((a, v) => a + v, 0),
      ),
      lambda * weight[r * IN + i] +
        Array.from({ length: TOKENS }, (_, t) => x[t * IN + i] * (y[t] as number)).reduce((a, v) => a + v, 0),
    ]);
    const n = s.length;
    for (let c = 0; c < n; c++) {
      let piv = c;
      for (let k = c + 1; k < n; k++) if (Math.abs(m[k][c]) > Math.abs(m[piv][c])) piv = k;
      [m[c], m[piv]] = [m[piv], m[c]];
      for (let k = c + 1; k < n; k++) {
        const f = m[k][c] / m[c][c];
        for (let q = c; q <= n; q++) m[k][q] -= f * m[c][q];
      }
    }
    const sol = new Array<number>(n);
    for (let c = n - 1; c >= 0; c--) {
      let v = m[c][n];
      for (let q = c + 1; q < n; q++) v -= m[c][q] * sol[q];
      sol[c] = v / m[c][c];
    }
    s.forEach((j, p) => (result[r * IN + j] = sol[p]));
  }
  return result;
}

const CASES: Array<[string, Partial<PruneConfig>]> = [
  ['hp 4x4', { pattern: 'hp', sparsity: 0.6 }],
  ['tile 4x4', { pattern: 'tile', sparsity: 0.5 }],
  ['unstructured', { pattern: 'unstructured', sparsity: 0.7 }],
  ['2:4', { pattern: 'nm', nmN: 2, nmM: 4 }],
  ['row-balanced', { pattern: 'row-balanced', sparsity: 0.5 }],
];

describe('layer-wise reconstruction of one matrix', () => {
  for (const [name, config] of CASES) {
    it(`${name}: the grouped solver gives the brute-force least-squares weights`, () => {
      const { x, weight, gram } = problem(11);
      const mask = maskOf(weight, config);
      for (const damp of [0.01, 0.3]) {
        const r = reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { damp, method: 'grouped' });
        const expected = bruteForce(x, weight, mask, damp);
        r.weight.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
      }
    });

    it(`${name}: every solver keeps the mask exactly and lowers the layer's reconstruction error`, () => {
      const { weight, gram } = problem(5);
      const mask = maskOf(weight, config);
      const oneShot = reconstructionError(weight, applyMask(weight, mask), gram, OUT, IN);
      const exact = reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { method: 'grouped' });
      const exactError = reconstructionError(weight, exact.weight, gram, OUT, IN);
      for (const method of ['grouped', 'sweep', 'auto'] as const) {
        const r = reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { method });
        r.weight.forEach((v, i) => (mask[i] ? expect(Number.isFinite(v)).toBe(true) : expect(v).toBe(0)));
        const error = reconstructionError(weight, r.weight, gram, OUT, IN);
        expect(error).toBeLessThan(0.8 * oneShot);
        expect(error).toBeGreaterThanOrEqual(exactError * (1 - 1e-6)); // the exact solver is optimal
      }
    });
  }

  it('HP: one factorisation per tile-row, chosen automatically', () => {
    const { weight, gram } = problem(2);
    const mask = maskOf(weight, { pattern: 'hp', sparsity: 0.6, tr: 2 });
    const groups = rowGroups(mask, OUT, IN);
    // Whole tile-rows (adjacent tile-rows that picked the same columns share one group).
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.length).toBeLessThanOrEqual(OUT / 2);
    for (const [start, end] of groups) expect([start % 2, end % 2]).toEqual([0, 0]);
    const r = reconstructLinear({ weight, out: OUT, in: IN, mask, gram });
    expect(r.method).toBe('grouped');
    expect(r.factorisations).toBe(groups.length);
  });

  it('a huge damping gives back the one-shot weights; a full mask gives back W', () => {
    const { weight, gram } = problem(3);
    const mask = maskOf(weight, { pattern: 'unstructured', sparsity: 0.5 });
    const oneShot = applyMask(weight, mask);
    for (const method of ['grouped', 'sweep'] as const) {
      reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { damp: 1e9, method }).weight.forEach((v, i) =>
        expect(v).toBeCloseTo(oneShot[i], 5),
      );
      reconstructLinear(
        { weight, out: OUT, in: IN, mask: new Uint8Array(OUT * IN).fill(1), gram },
        { method },
      ).weight.forEach((v, i) => expect(v).toBeCloseTo(weight[i], 5));
    }
  });

  it('an input that never fires keeps its weight and makes nothing singular', () => {
    const { x, weight } = problem(4);
    for (let t = 0; t < TOKENS; t++) x[t * IN + 3] = 0;
    const g = new GramAccumulator(IN);
    g.add(x, TOKENS);
    const mask = maskOf(weight, { pattern: 'hp', sparsity: 0.5 });
    const r = reconstructLinear({ weight, out: OUT, in: IN, mask, gram: g.matrix() }, { damp: 0 });
    expect(r.weight.every(Number.isFinite)).toBe(true);
  });

  it('refuses inputs of the wrong size and a negative damping', () => {
    const { weight, gram } = problem(1);
    const mask = new Uint8Array(OUT * IN).fill(1);
    expect(() => reconstructLinear({ weight, out: OUT, in: IN, mask: mask.subarray(1), gram })).toThrow(/mask has/);
    expect(() => reconstructLinear({ weight, out: OUT, in: IN, mask, gram: gram.subarray(1) })).toThrow(/Gram matrix/);
    expect(() => reconstructLinear({ weight, out: OUT, in: IN, mask, gram }, { damp: -1 })).toThrow(/damping/);
  });
});

describe('MaskedLinear', () => {
  for (const [name, config] of CASES) {
    it(`${name}: equals the dense product with the pruned weights (odd token count, bias)`, () => {
      const { x, weight } = problem(9);
      const mask = maskOf(weight, config);
      const bias = Float32Array.from({ length: OUT }, (_, i) => i / 10);
      const tokens = TOKENS - 1;
      const expected = denseLinear(x, tokens, applyMask(weight, mask), OUT, IN, bias);
      const y = new MaskedLinear(weight, mask, OUT, IN, bias).apply(x, tokens);
      y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    });
  }

  it('resident (weights kept in the Gemm for good) gives the same bits; products free their memory', () => {
    const { x, weight } = problem(10);
    const mask = maskOf(weight, CASES[0][1]);
    const gemm = new Gemm();
    const resident = new MaskedLinear(weight, mask, OUT, IN, undefined, gemm, true);
    const copied = new MaskedLinear(weight, mask, OUT, IN, undefined, gemm);
    const mark = gemm.mark();
    const want = copied.apply(x, TOKENS);
    expect(gemm.mark()).toBe(mark); // each product frees what it used
    for (let i = 0; i < 3; i++) expect(resident.apply(x, TOKENS - i)).toEqual(copied.apply(x, TOKENS - i));
    expect(resident.apply(x, TOKENS)).toEqual(want);
    // Kept floats cannot be freed by a mark taken before them.
    const outer = gemm.mark();
    gemm.keep(new Float32Array(4));
    expect(() => gemm.release(outer)).toThrow(/below floats kept/);
  });
});
