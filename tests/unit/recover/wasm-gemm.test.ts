// The reconstruction's WebAssembly products and its fast attention / GELU against plain loops and
// the reference forward pass.
import { describe, expect, it } from 'vitest';
import { addAndNorm, gelu, referenceAttention } from '../../../src/core/model/reference-forward';
import {
  fastAddNorm,
  fastGelu,
  fastSoftmax,
  geluFromTable,
  gemmAttention,
  softmaxRows,
  wasmExp,
} from '../../../src/core/recover/fast-forward';
import { randomBertModel } from '../../helpers/random-bert-model';
import v8 from 'node:v8';
import { Gemm } from '../../../src/core/recover/wasm-gemm';
import { hasRelaxedSimd } from '../../../src/core/recover/wasm-asm';
import { rng } from '../../../src/core/random';

describe('Gemm (f32 WebAssembly SIMD)', () => {
  const rand = rng(11);
  const [m, n, k] = [12, 80, 37]; // n > one 64-column panel; k odd
  const a = Float32Array.from({ length: m * k }, () => rand() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => rand() - 0.5);
  const c0 = Float32Array.from({ length: m * n }, () => rand());
  const want = (i: number, j: number) => {
    let s = c0[i * n + j];
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    return s;
  };

  /** C + A·B in f32 one step at a time, as the kernel sums (k in order): multiply then add, each
   *  rounded to f32; or fused, one rounding (the f64 sum of an exact f32 product, then rounded:
   *  the same as a fused multiply-add for these operands unless a double rounding hits a tie). */
  const stepwise = (i: number, j: number, fused: boolean) => {
    let s = c0[i * n + j];
    for (let p = 0; p < k; p++) {
      const ab = a[i * k + p] * b[p * n + j];
      s = Math.fround(s + (fused ? ab : Math.fround(ab)));
    }
    return s;
  };

  /** C + A·B by the kernel, A row-major or given transposed. */
  function product(g: Gemm, transposed: boolean): Float32Array {
    const pa = g.alloc(m * k);
    if (transposed) for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) g.f32[pa + p * m + i] = a[i * k + p];
    else g.f32.set(a, pa);
    const pb = g.alloc(k * n);
    g.f32.set(b, pb);
    const pc = g.alloc(m * n);
    g.f32.set(c0, pc);
    if (transposed) g.gemmTN(pa, m, pb, n, pc, n, m, n, k);
    else g.gemm(pa, k, pb, n, pc, n, m, n, k);
    return g.f32.slice(pc, pc + m * n);
  }

  it("adds A·B into C, with A row-major or given transposed, multiply then add: the f32 steps' bits", () => {
    for (const transposed of [false, true]) {
      const got = product(new Gemm(false), transposed);
      let worst = 0;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          expect(got[i * n + j]).toBe(stepwise(i, j, false));
          worst = Math.max(worst, Math.abs(got[i * n + j] - want(i, j)));
        }
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('with relaxed SIMD, fuses each multiply-add (one rounding) and stays as close to the sum', () => {
    // Node 20 compiles relaxed SIMD behind this flag (as the CLI sets it: src/cli/relaxed-simd.ts).
    if (!hasRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    expect(hasRelaxedSimd()).toBe(true);
    expect(new Gemm().fma).toBe(true); // the default where the engine has it
    for (const transposed of [false, true]) {
      const got = product(new Gemm(true), transposed);
      let worst = 0;
      let fusedDiffers = 0;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          // x64 with FMA3 and arm64 fuse (relaxed_madd may also round twice on older x64).
          expect(got[i * n + j]).toBe(stepwise(i, j, true));
          if (stepwise(i, j, true) !== stepwise(i, j, false)) fusedDiffers++;
          worst = Math.max(worst, Math.abs(got[i * n + j] - want(i, j)));
        }
      expect(fusedDiffers).toBeGreaterThan(0); // the two paths are told apart by these operands
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('gathers columns of a row-major block (the kept inputs of a row group)', () => {
    const g = new Gemm();
    const [rows, d, ld] = [5, 13, 8];
    const src = g.alloc(rows * d);
    for (let i = 0; i < rows * d; i++) g.f32[src + i] = i;
    const cols = [0, 4, 5, 12];
    const dst = g.alloc(rows * ld);
    g.gather(src, d, cols, dst, ld, rows);
    for (let t = 0; t < rows; t++)
      expect(Array.from(g.f32.subarray(dst + t * ld, dst + t * ld + ld))).toEqual([
        ...cols.map((c) => t * d + c),
        0,
        0,
        0,
        0,
      ]);
  });

  it("adds f32 blocks and squares into float64 sums with the TypeScript loops' bits", () => {
    const g = new Gemm(false);
    const rand = rng(12);
    const [rows, cols, lds, ldd] = [9, 11, 12, 13];
    const src = g.alloc(rows * lds);
    for (let i = 0; i < rows * lds; i++) g.f32[src + i] = (rand() - 0.5) * 1e3;
    for (const upper of [false, true]) {
      const start = Float64Array.from({ length: rows * ldd }, () => rand() * 1e-3);
      const [got, want] = [start.slice(), start.slice()];
      const mark = g.mark();
      g.addInto(got, ldd, src, lds, rows, cols, upper);
      expect(g.mark()).toBe(mark);
      for (let i = 0; i < rows; i++)
        for (let j = upper ? i : 0; j < cols; j++) want[i * ldd + j] += g.f32[src + i * lds + j];
      expect(got).toEqual(want);
    }
    const [diag, loop] = [Float64Array.from({ length: lds }, () => rand()), new Float64Array(lds)];
    loop.set(diag);
    g.addSquares(diag, src, lds, rows);
    for (let t = 0; t < rows; t++)
      for (let j = 0; j < lds; j++) loop[j] += g.f32[src + t * lds + j] * g.f32[src + t * lds + j];
    expect(diag).toEqual(loop);
  });

  it('grows its memory and frees back to a mark; refuses unpadded shapes', () => {
    const g = new Gemm();
    const mark = g.mark();
    const big = g.alloc(3_000_000); // past the initial 4 MiB
    g.f32[big + 2_999_999] = 1;
    g.release(mark);
    expect(g.alloc(4)).toBe(mark);
    expect(() => g.gemm(0, 1, 0, 1, 0, 1, 3, 8, 1)).toThrow(/m % 4/);
  });
});

describe('fast attention and GELU', () => {
  it('attention equals the reference on every real token', () => {
    const rand = rng(4);
    // Heads of 8 and of 26 (TinyBERT's: not a multiple of 8); padding at the end, in the middle,
    // and a sequence of padding only.
    const cases = [
      { batch: 2, seq: 9, hidden: 24, heads: 3, real: (r: number) => r % 9 < (r < 9 ? 9 : 5) },
      { batch: 3, seq: 11, hidden: 78, heads: 3, real: (r: number) => r < 22 && r % 11 !== 4 && r % 7 !== 3 },
    ];
    for (const { batch, seq, hidden, heads, real } of cases) {
      const rows = batch * seq;
      const q = Float32Array.from({ length: rows * hidden }, () => rand() - 0.5);
      const k = Float32Array.from({ length: rows * hidden }, () => rand() - 0.5);
      const v = Float32Array.from({ length: rows * hidden }, () => rand() - 0.5);
      const mask = Array.from({ length: rows }, (_, r) => (real(r) ? 1 : 0));
      const want = referenceAttention(q, k, v, mask, batch, seq, hidden, heads);
      const got = gemmAttention(new Gemm())(q, k, v, mask, batch, seq, hidden, heads);
      for (let r = 0; r < rows; r++)
        if (mask[r]) for (let e = 0; e < hidden; e++) expect(got[r * hidden + e]).toBeCloseTo(want[r * hidden + e], 5);
    }
  });

  it("exp in WebAssembly gives Math.exp's bits (fdlibm), and the softmax kernel the TypeScript loop's", () => {
    const rand = rng(6);
    const specials = [0, -0, 1, -1, 0.5, -0.5, 0.34657359027997264, 0.3465735902799727, 1.0397, -1.0397];
    const edges = [
      709.78,
      709.79,
      -708,
      -709.5,
      -744,
      -745.13,
      -745.2,
      Infinity,
      -Infinity,
      NaN,
      1e-9,
      -3.7e-9,
      2 ** -28,
    ];
    const xs = [...specials, ...edges];
    for (let i = 0; i < 20000; i++)
      xs.push(-rand() * 40, (rand() - 0.5) * 1500, Math.fround((rand() - 0.9) * 30) * 0.2);
    const wrong = xs.filter((x) => !Object.is(wasmExp(x), Math.exp(x)));
    expect(wrong).toEqual([]);
    // Rows of 33 scores in a stride of 40, from an offset; the columns past n stay as they are.
    const [rows, ld, n, scale] = [37, 40, 33, 1 / Math.sqrt(26)];
    const f = Float32Array.from({ length: 4 + rows * ld }, () => (rand() - 0.5) * 30);
    const [got, want] = [f.slice(), f.slice()];
    fastSoftmax(got, 4, ld, rows, n, scale);
    softmaxRows(want, 4, ld, rows, n, scale);
    expect(got).toEqual(want);
    expect(got).not.toEqual(f);
  });

  it('GELU matches the exact function to f32 rounding, tails included', () => {
    const xs = Float32Array.from({ length: 4001 }, (_, i) => -12 + i * 0.006);
    const got = xs.slice();
    fastGelu(got);
    const worst = Math.max(...Array.from(xs, (x, i) => Math.abs(got[i] - gelu(x)) / Math.max(1, Math.abs(x))));
    expect(worst).toBeLessThan(5e-7);
  });

  it('GELU and residual + LayerNorm in WebAssembly give the TypeScript loops their very bits', () => {
    const rand = rng(5);
    // Values across the table, its ends and beyond, exact zeros, NaN passed through.
    const xs = Float32Array.from({ length: 30011 }, (_, i) => (i % 97 === 0 ? 0 : (rand() - 0.5) * 26));
    xs[7] = NaN;
    const [got, want] = [xs.slice(), xs.slice()];
    fastGelu(got);
    geluFromTable(want);
    expect(got).toEqual(want);
    const model = randomBertModel({}, 3);
    const h = model.config.hidden;
    const ln = {
      gamma: Float32Array.from({ length: h }, () => 0.5 + rand()),
      beta: Float32Array.from({ length: h }, () => rand() - 0.5),
    };
    for (const scale of [1, 1e-3, 300]) {
      const y = Float32Array.from({ length: 37 * h }, () => (rand() - 0.5) * scale);
      const r = Float32Array.from({ length: 37 * h }, () => rand() * scale);
      const [a, b] = [y.slice(), y.slice()];
      expect(fastAddNorm(model, a, r, ln)).toBe(a);
      addAndNorm(model, b, r, ln);
      expect(a).toEqual(b);
    }
  });
});
