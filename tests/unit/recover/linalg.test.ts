import { describe, expect, it } from 'vitest';
import {
  choleskyInPlace,
  choleskySolveInPlace,
  lowerInverseTransposed,
  NotPositiveDefiniteError,
} from '../../../src/core/recover/cholesky';
import { GramAccumulator } from '../../../src/core/recover/gram';
import { upperCholeskyOfInverse } from '../../../src/core/recover/reconstruct';
import { rng } from '../../../src/core/random';
import { WasmSolver } from '../../../src/core/recover/wasm-solve';

/** A random symmetric positive-definite n x n matrix: Bᵀ B + n I. */
function spd(n: number, seed: number): Float64Array {
  const rand = rng(seed);
  const b = Float64Array.from({ length: n * n }, () => rand() - 0.5);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let p = 0; p < n; p++) s += b[p * n + i] * b[p * n + j];
      a[i * n + j] = s;
    }
  return a;
}

const matmul = (a: ArrayLike<number>, b: ArrayLike<number>, n: number, m: number, k: number) => {
  const c = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) for (let p = 0; p < m; p++) c[i * k + j] += a[i * m + p] * b[p * k + j];
  return c;
};
const lower = (a: Float64Array, n: number) => a.map((v, i) => (i % n <= Math.floor(i / n) ? v : 0));
const transpose = (a: Float64Array, n: number) => a.map((_, i) => a[(i % n) * n + Math.floor(i / n)]);
const identity = (n: number) => Float64Array.from({ length: n * n }, (_, i) => (i % n === Math.floor(i / n) ? 1 : 0));

describe('Cholesky helpers (float64)', () => {
  for (const n of [1, 5, 9]) {
    it(`factors, solves and inverts a ${n} x ${n} SPD matrix`, () => {
      const a = spd(n, n);
      const l = a.slice();
      choleskyInPlace(l, n);
      const L = lower(l, n);
      matmul(L, transpose(L, n), n, n, n).forEach((v, i) => expect(v).toBeCloseTo(a[i], 10));
      // A X = B for three right-hand sides.
      const rand = rng(3);
      const b = Float64Array.from({ length: n * 3 }, () => rand());
      const x = b.slice();
      choleskySolveInPlace(l, n, x, 3);
      matmul(a, x, n, n, 3).forEach((v, i) => expect(v).toBeCloseTo(b[i], 9));
      // L⁻¹ (stored transposed) times L is the identity.
      const inv = transpose(lowerInverseTransposed(l, n), n);
      matmul(inv, L, n, n, n).forEach((v, i) => expect(v).toBeCloseTo(identity(n)[i], 10));
      // U upper with Uᵀ U = A⁻¹, i.e. Uᵀ U A = I.
      const u = upperCholeskyOfInverse(a, n);
      u.forEach((v, i) => (i % n < Math.floor(i / n) ? expect(v).toBe(0) : undefined));
      matmul(matmul(transpose(u, n), u, n, n, n), a, n, n, n).forEach((v, i) =>
        expect(v).toBeCloseTo(identity(n)[i], 8),
      );
    });
  }

  it('refuses a matrix that is not positive definite, naming the pivot', () => {
    const a = Float64Array.from([1, 2, 2, 1]);
    expect(() => choleskyInPlace(a, 2)).toThrow(NotPositiveDefiniteError);
    expect(() => choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/pivot 1/);
  });
});

describe('GramAccumulator', () => {
  /** Σ over the kept rows of x_i x_j, in float64. */
  const exact = (x: Float32Array, rows: number, d: number, keep: (r: number) => boolean, i: number, j: number) => {
    let s = 0;
    for (let r = 0; r < rows; r++) if (keep(r)) s += x[r * d + i] * x[r * d + j];
    return s;
  };

  for (const d of [1, 7, 10]) {
    it(`sums xᵀx over the kept rows, across adds and chunks (d = ${d})`, () => {
      const rand = rng(d);
      const rows = 600; // more than two internal chunks
      const x = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
      const keep = (r: number) => r % 3 !== 1;
      const g = new GramAccumulator(d);
      g.add(x.subarray(0, 100 * d), 100, keep);
      g.add(x.subarray(100 * d), rows - 100, (r) => keep(r + 100));
      const h = g.matrix();
      expect(g.tokens).toBe(Array.from({ length: rows }, (_, r) => keep(r)).filter(Boolean).length);
      // Each chunk's products are summed in f32 (WebAssembly), the chunks in float64.
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) expect(Math.abs(h[i * d + j] - exact(x, rows, d, keep, i, j))).toBeLessThan(1e-4);
    });
  }

  it('with kept sets, sums the entries within each set and the whole diagonal, nothing else', () => {
    const d = 40;
    const rand = rng(5);
    const rows = 300;
    const x = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
    const sets = [
      [0, 3, 4, 9, 20],
      [3, 4, 30, 39],
    ];
    const g = new GramAccumulator(d, undefined, sets);
    g.add(x, rows);
    const h = g.matrix();
    const within = (i: number, j: number) => sets.some((s) => s.includes(i) && s.includes(j));
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        const want = i === j || within(i, j) ? exact(x, rows, d, () => true, i, j) : 0;
        expect(Math.abs(h[i * d + j] - want)).toBeLessThan(1e-4);
      }
  });

  it('refuses an input of the wrong size', () => {
    expect(() => new GramAccumulator(4).add(new Float32Array(7), 2)).toThrow(/expected 2 x 4/);
  });
});

describe('WasmSolver (WebAssembly substitution)', () => {
  it("gives choleskySolveInPlace's very bits, odd right-hand side counts and zero factors included", () => {
    const rand = rng(17);
    const solver = new WasmSolver();
    for (const [n, r] of [
      [5, 3],
      [40, 32],
      [240, 32],
      [62, 7],
      [1, 1],
      [9, 0],
    ]) {
      // A = X Xᵀ + 0.1 I, with some rows of X zero so that L has zero entries below the diagonal.
      const x = Float64Array.from({ length: n * (n + 3) }, (_, i) =>
        Math.floor(i / (n + 3)) % 4 === 1 ? 0 : rand() - 0.5,
      );
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = i === j ? 0.1 : 0;
          for (let k = 0; k < n + 3; k++) s += x[i * (n + 3) + k] * x[j * (n + 3) + k];
          a[i * n + j] = s;
        }
      choleskyInPlace(a, n);
      const b = Float64Array.from({ length: n * r }, () => rand() - 0.5);
      const [want, got] = [b.slice(), b.slice()];
      choleskySolveInPlace(a, n, want, r);
      solver.choleskySolve(a, n, got, r);
      expect(got).toEqual(want);
    }
  });
});
