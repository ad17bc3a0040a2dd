// Symmetric integer quantization: q = clamp(round(x / scale), -qmax, qmax), x ≈ q * scale, with
// one scale per row (weights: per output channel; activations: per token) or a fixed one per
// tensor (static activations, from calibration). The CPU int8 reference and the WGSL kernels
// must produce the same codes, so every step is one f32 operation that WGSL rounds the same
// way: the scale is amax * (1/qmax) and the code is round-half-even(x * (qmax / amax)) (WGSL's
// round() is half-even; JS's Math.round is not).

export type QuantBits = 8 | 16;
export const QUANT_BITS: readonly QuantBits[] = [8, 16];
export const qmaxOf = (bits: QuantBits): number => (bits === 8 ? 127 : 32767);

export type QuantCodes = Int8Array | Int16Array;

const f32 = Math.fround;

/** Round half to even, like WGSL round(). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Ranges below this (and non-finite ones) quantize to all zeros: it keeps the scale and its
 *  inverse normal f32 numbers, which GPUs may otherwise flush to zero. */
export const MIN_RANGE = 2 ** -100;

/** The (scale, inverse) pair of a range: scale maps codes back, inverse maps values to codes.
 *  A zero range gets scale 0 and inverse 0 (every code 0). */
export function scalePair(amax: number, bits: QuantBits): { scale: number; inv: number } {
  const qmax = qmaxOf(bits);
  const a = f32(amax);
  if (!(a >= MIN_RANGE) || !Number.isFinite(a)) return { scale: 0, inv: 0 };
  return { scale: f32(a * f32(1 / qmax)), inv: f32(qmax / a) };
}

/** One code: clamp(round-half-even(f32(x * inv)), ±qmax). */
export function quantizeValue(x: number, inv: number, qmax: number): number {
  const q = roundHalfEven(f32(x * inv));
  return q > qmax ? qmax : q < -qmax ? -qmax : q;
}

export const codesFor = (bits: QuantBits, n: number): QuantCodes => (bits === 8 ? new Int8Array(n) : new Int16Array(n));

/** Rows x cols values quantized with one scale per row (the row's largest |x|). */
export interface QuantizedRows {
  bits: QuantBits;
  rows: number;
  cols: number;
  /** rows x cols codes, row-major. */
  q: QuantCodes;
  /** One scale per row (f32): x ≈ q * scale. */
  scales: Float32Array;
}

/** The row's largest |x|; with `read`, over the columns c with read[c] alone. */
export function rowAbsMax(x: Float32Array, row: number, cols: number, read?: Uint8Array): number {
  let amax = 0;
  for (let c = 0, i = row * cols; c < cols; c++, i++) {
    const a = Math.abs(x[i]);
    if (a > amax && (!read || read[c])) amax = a;
  }
  return amax;
}

/** Per-row symmetric quantization: weights per output channel, activations per token (dynamic).
 *  `read` (activations): the columns the next linear reads (1 each, e.g. an HP linear's kept input
 *  columns): the scale is their largest |x| and the other columns' codes are 0, so the columns no
 *  one reads need not be computed (the int8 engine's 'read' scale); absent: every column. */
export function quantizeRows(
  x: Float32Array,
  rows: number,
  cols: number,
  bits: QuantBits,
  read?: Uint8Array,
): QuantizedRows {
  if (x.length !== rows * cols)
    throw new RangeError(`quantizeRows: ${x.length} values, expected rows*cols = ${rows * cols}`);
  if (read && read.length !== cols) throw new RangeError(`quantizeRows: read has ${read.length} columns, not ${cols}`);
  const qmax = qmaxOf(bits);
  const q = codesFor(bits, rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const { scale, inv } = scalePair(rowAbsMax(x, r, cols, read), bits);
    scales[r] = scale;
    for (let c = 0, i = r * cols; c < cols; c++, i++) q[i] = !read || read[c] ? quantizeValue(x[i], inv, qmax) : 0;
  }
  return { bits, rows, cols, q, scales };
}

/** Static quantization: every row with the one scale of a calibrated range `amax`. */
export function quantizeStatic(
  x: Float32Array,
  rows: number,
  cols: number,
  amax: number,
  bits: QuantBits,
): QuantizedRows {
  if (x.length !== rows * cols)
    throw new RangeError(`quantizeStatic: ${x.length} values, expected rows*cols = ${rows * cols}`);
  const qmax = qmaxOf(bits);
  const { scale, inv } = scalePair(amax, bits);
  const q = codesFor(bits, rows * cols);
  for (let i = 0; i < q.length; i++) q[i] = quantizeValue(x[i], inv, qmax);
  return { bits, rows, cols, q, scales: new Float32Array(rows).fill(scale) };
}

/** x ≈ q * scale, row by row (f32). */
export function dequantizeRows(r: QuantizedRows): Float32Array {
  const x = new Float32Array(r.rows * r.cols);
  for (let row = 0; row < r.rows; row++) {
    const s = r.scales[row];
    for (let i = row * r.cols, end = i + r.cols; i < end; i++) x[i] = r.q[i] * s;
  }
  return x;
}
