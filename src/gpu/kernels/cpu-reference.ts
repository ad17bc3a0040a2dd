// CPU references (float64 accumulation) for verifying the linear kernels: whole outputs for
// tests, sampled rows for big benchmark shapes. Pure TypeScript.
import { forEachKept, type HPMatrix } from '../../core/formats/hp';
import { f16RoundArray } from '../../core/formats/f16';
import type { WeightPrecision } from './index';

/** erf in float64: Taylor series near 0, Lentz continued fraction for erfc beyond. */
export function erf64(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 2.5) {
    // erf z = 2/sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc z = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...))))
    let f = z;
    for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

export function gelu64(x: number): number {
  return 0.5 * x * (1 + erf64(x / Math.SQRT2));
}

export interface ReferenceResult {
  /** rows.length x out values. */
  y: Float64Array;
  /** Per value, sum |x_i w_i| + |b|: the scale of the rounding error to expect in f32. */
  scale: Float64Array;
}

/** Y rows `rows` of X·Wᵀ + b (GELU) for dense row-major W (out x in). */
export function denseReference(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  nIn: number,
  nOut: number,
  rows: number[],
  gelu = false,
): ReferenceResult {
  const y = new Float64Array(rows.length * nOut);
  const scale = new Float64Array(rows.length * nOut);
  rows.forEach((t, ri) => {
    const xo = t * nIn;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s = bias ? bias[o] : 0;
      let a = Math.abs(s);
      for (let i = 0; i < nIn; i++) {
        const p = x[xo + i] * w[wo + i];
        s += p;
        a += Math.abs(p);
      }
      y[ri * nOut + o] = gelu ? gelu64(s) : s;
      scale[ri * nOut + o] = a;
    }
  });
  return { y, scale };
}

/** The same for an HPMatrix, walking only its stored values. */
export function hpReference(
  x: Float32Array,
  hp: HPMatrix,
  bias: Float32Array | undefined,
  rows: number[],
  gelu = false,
): ReferenceResult {
  const nOut = hp.out;
  const nIn = hp.in;
  const y = new Float64Array(rows.length * nOut);
  const scale = new Float64Array(rows.length * nOut);
  // One pass over the kept weights, all sampled rows at once.
  forEachKept(hp, (row, col, v) => {
    for (let ri = 0; ri < rows.length; ri++) {
      const p = x[rows[ri] * nIn + col] * v;
      y[ri * nOut + row] += p;
      scale[ri * nOut + row] += Math.abs(p);
    }
  });
  for (let ri = 0; ri < rows.length; ri++) {
    for (let o = 0; o < nOut; o++) {
      const b = bias ? bias[o] : 0;
      const s = y[ri * nOut + o] + b;
      y[ri * nOut + o] = gelu ? gelu64(s) : s;
      scale[ri * nOut + o] += Math.abs(b);
    }
  }
  return { y, scale };
}

export interface Mismatch {
  ok: boolean;
  checked: number;
  maxError: number;
  /** First offending (row, col, got, want), if any. */
  first?: { row: number; col: number; got: number; want: number };
}

/** GPU rows (tokens x out, full) against a reference for `rows`: |got - want| <= rel * scale + abs. */
export function compareRows(
  got: Float32Array,
  ref: ReferenceResult,
  rows: number[],
  nOut: number,
  rel = 2e-5,
  abs = 1e-5,
): Mismatch {
  let maxError = 0;
  let first: Mismatch['first'];
  rows.forEach((t, ri) => {
    for (let o = 0; o < nOut; o++) {
      const g = got[t * nOut + o];
      const want = ref.y[ri * nOut + o];
      const err = Math.abs(g - want);
      const bound = rel * ref.scale[ri * nOut + o] + abs;
      if (!(err <= bound)) {
        first ??= { row: t, col: o, got: g, want };
      }
      if (err > maxError || Number.isNaN(err)) maxError = Number.isNaN(err) ? Infinity : err;
    }
  });
  return { ok: first === undefined, checked: rows.length * nOut, maxError, first };
}

/** Evenly spread sample of `count` rows of `tokens` (all rows when count >= tokens), last row included. */
export function sampleRows(tokens: number, count: number): number[] {
  if (count >= tokens) return Array.from({ length: tokens }, (_, i) => i);
  const rows = new Set<number>();
  for (let i = 0; i < count - 1; i++) rows.add(Math.floor((i * tokens) / (count - 1)));
  rows.add(tokens - 1);
  return [...rows].sort((a, b) => a - b);
}

/** W as the GPU holds it for a `precision` ('f16': rounded), so references compare like with like. */
export function storedWeights(w: Float32Array, precision: WeightPrecision = 'f32'): Float32Array {
  return precision === 'f16' ? f16RoundArray(w) : w;
}

/** The HP matrix as the GPU holds it for a `precision`. */
export function storedHP(hp: HPMatrix, precision: WeightPrecision = 'f32'): HPMatrix {
  return precision === 'f16' ? { ...hp, values: f16RoundArray(hp.values) } : hp;
}
