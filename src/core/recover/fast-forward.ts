// The reconstruction's own attention, GELU and LayerNorm: the same functions as the reference
// forward pass (core/model/reference-forward), computed for speed, since every calibration token
// goes through both the dense and the pruned encoder. Attention runs its products in WebAssembly;
// GELU interpolates a table of the exact function (cubic Hermite, error < 3e-7, about f32
// rounding); GELU and residual + LayerNorm run in WebAssembly too (wasm-rows.ts: the same bits as
// the TypeScript loops here and in reference-forward).
import type { BertModel, LayerNormParams } from '../model/bert-types';
import { erf, gelu, type AddNormFn, type AttentionFn } from '../model/reference-forward';
import { Gemm, roundUp } from './wasm-gemm';
import { RowKernels } from './wasm-rows';

/**
 * Multi-head attention as referenceAttention computes it (ctx [batch*seq, hidden] from q, k, v of
 * that shape; mask 0 = padding), with the two products of each head and sequence (Q Kᵀ over its
 * real tokens, then P V) in `gemm`. Padding rows get no output: no real token reads them. Each
 * sequence's real rows of q, k and v are copied in once; a head's Q and V are read in place (row
 * stride `hidden`), its Kᵀ gathered (the gather kernel with unit row stride transposes).
 */
export function gemmAttention(gemm: Gemm): AttentionFn {
  return (q, k, v, mask, batch, seq, hidden, heads) => {
    const d = hidden / heads;
    const scale = 1 / Math.sqrt(d);
    const ctx = new Float32Array(batch * seq * hidden);
    const real = new Int32Array(seq);
    const dp = roundUp(d, 8);
    for (let b = 0; b < batch; b++) {
      let n = 0; // the sequence's real tokens, in order
      for (let j = 0; j < seq; j++) if (mask[b * seq + j] !== 0) real[n++] = j;
      if (n === 0) continue;
      const m = roundUp(n, 4);
      const np = roundUp(n, 8);
      const mark = gemm.mark();
      // Rows padded to np (zero), and dp floats of slack: a head's last 8-column block of V may
      // read past the row's end (into columns the product's output then leaves unread).
      const qs = gemm.alloc(np * hidden + dp);
      const ks = gemm.alloc(np * hidden + dp);
      const vs = gemm.alloc(np * hidden + dp);
      let f = gemm.f32;
      for (let r = 0; r < n; r++) {
        const src = (b * seq + real[r]) * hidden;
        f.set(q.subarray(src, src + hidden), qs + r * hidden);
        f.set(k.subarray(src, src + hidden), ks + r * hidden);
        f.set(v.subarray(src, src + hidden), vs + r * hidden);
      }
      const rowStarts = new Int32Array(n);
      for (let r = 0; r < n; r++) rowStarts[r] = r * hidden;
      for (let h = 0; h < heads; h++) {
        const inner = gemm.mark();
        const kt = gemm.alloc(d * np); // Kᵀ: d x n, columns past n zero
        const scores = gemm.alloc(m * np);
        const out = gemm.alloc(m * dp);
        gemm.gather(ks + h * d, 1, rowStarts, kt, np, d);
        gemm.gemm(qs + h * d, hidden, kt, np, scores, np, m, np, d);
        // Softmax of each row over the real keys (softmaxRows' bits); the padded columns stay 0.
        fastSoftmax(gemm.f32, scores, np, n, n, scale);
        gemm.gemm(scores, np, vs + h * d, hidden, out, dp, m, dp, np);
        f = gemm.f32;
        for (let i = 0; i < n; i++)
          ctx.set(f.subarray(out + i * dp, out + i * dp + d), (b * seq + real[i]) * hidden + h * d);
        gemm.release(inner);
      }
      gemm.release(mark);
    }
    return ctx;
  };
}

// GELU table: on each step of 1/128 over [-10, 10], the cubic Hermite interpolant of the exact
// function (values and slopes at both ends) as four polynomial coefficients in t ∈ [0, 1);
// outside, 0 and x (|error| < 1e-22).
const STEP = 1 / 128;
const LIMIT = 10;
const N = 2 * LIMIT * 128 + 1;
let table: Float64Array | undefined;

function geluTable(): Float64Array {
  if (table) return table;
  const at = (x: number) => {
    const pdf = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    return [gelu(x), (0.5 * (1 + erf(x * Math.SQRT1_2)) + x * pdf) * STEP]; // GELU' = Φ + x φ, per step
  };
  table = new Float64Array(4 * N);
  for (let i = 0; i < N; i++) {
    const [v0, s0] = at(-LIMIT + i * STEP);
    const [v1, s1] = at(-LIMIT + (i + 1) * STEP);
    // h00 v0 + h10 s0 + h01 v1 + h11 s1 in powers of t.
    table.set([v0, s0, 3 * (v1 - v0) - 2 * s0 - s1, 2 * (v0 - v1) + s0 + s1], 4 * i);
  }
  return table;
}

let kernels: RowKernels | undefined; // one per thread

function rowKernels(): RowKernels {
  return (kernels ??= new RowKernels(geluTable()));
}

/** In place, rows i < rows (stride ld) of f from `off`: softmax of the first n values, scaled, as
 *  gemmAttention had it in TypeScript (what the WebAssembly kernel computes, for its tests). */
export function softmaxRows(f: Float32Array, off: number, ld: number, rows: number, n: number, scale: number): void {
  for (let i = 0; i < rows; i++) {
    const row = off + i * ld;
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, f[row + j]);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += f[row + j] = Math.exp((f[row + j] - max) * scale);
    for (let j = 0; j < n; j++) f[row + j] /= sum;
  }
}

/** softmaxRows in WebAssembly (its very bits: exp is fdlibm's, as V8's Math.exp; ~2x faster). */
export function fastSoftmax(f: Float32Array, off: number, ld: number, rows: number, n: number, scale: number): void {
  rowKernels().softmax(f, off, ld, rows, n, scale);
}

/** Math.exp in WebAssembly (fdlibm's, its very bits), for the tests. */
export function wasmExp(x: number): number {
  return rowKernels().exp(x);
}

/** In place: every value of f becomes GELU(value) (geluFromTable's bits, in WebAssembly). */
export function fastGelu(f: Float32Array): void {
  rowKernels().gelu(f);
}

/** reference-forward's addAndNorm (LayerNorm(y + residual) in place in y), in WebAssembly. */
export const fastAddNorm: AddNormFn = (
  model: BertModel,
  y: Float32Array,
  residual: Float32Array,
  ln: LayerNormParams,
) => {
  rowKernels().addNorm(y, residual, ln.gamma, ln.beta, model.config.layerNormEps);
  return y;
};

/** In place: every value of f becomes GELU(value), from the table in TypeScript (what the
 *  WebAssembly fastGelu computes, the reference its tests compare with). */
export function geluFromTable(f: Float32Array): void {
  const c = geluTable();
  for (let i = 0; i < f.length; i++) {
    const x = f[i];
    if (x <= -LIMIT) f[i] = 0;
    else if (x < LIMIT) {
      const u = (x + LIMIT) / STEP;
      const j = Math.floor(u);
      const t = u - j;
      const k = 4 * j;
      f[i] = c[k] + t * (c[k + 1] + t * (c[k + 2] + t * c[k + 3]));
    }
  }
}
