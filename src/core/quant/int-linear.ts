// The CPU reference of the integer linears: y = x Wᵀ + b with x and W as integer codes
// (quantize.ts), the products summed exactly as integers (int8: what the GPU's i32 accumulator
// holds; int16: exact in f64), then the scales and the bias in an f32 epilogue whose every step
// is one correctly rounded f32 operation, so the WGSL kernels can match it bit for bit:
//   s = f32(xScale[t] * wScale[o]);  y = f32(f32(f32(acc) * s) + b[o])
import { tileGrid, type HPCodes, type HPMatrix } from '../formats/hp';
import { hpTileRowProducts } from '../cpu/linear';
import { codesFor, qmaxOf, quantizeValue, scalePair, type QuantBits, type QuantizedRows } from './quantize';

const f32 = Math.fround;

/** The f32 epilogue shared by every integer linear (see the header). */
export function intEpilogue(acc: number, xScale: number, wScale: number, bias: number): number {
  return f32(f32(f32(acc) * f32(xScale * wScale)) + bias);
}

function checkPair(x: QuantizedRows, nIn: number, bits: QuantBits, label: string): void {
  if (x.cols !== nIn) throw new RangeError(`${label}: x has ${x.cols} columns, the weight has ${nIn} inputs`);
  if (x.bits !== bits) throw new RangeError(`${label}: x is int${x.bits}, the weight int${bits}`);
}

/** Dense: w holds W (out x in) quantized per output channel (quantizeRows(W, out, in)). */
export function intDenseLinear(x: QuantizedRows, w: QuantizedRows, bias?: Float32Array): Float32Array {
  checkPair(x, w.cols, w.bits, 'intDenseLinear');
  const { rows: tokens } = x;
  const { rows: out, cols: nIn } = w;
  const xq = x.q;
  const wq = w.q;
  const y = new Float32Array(tokens * out);
  for (let t = 0; t < tokens; t++) {
    const xRow = t * nIn;
    const xs = x.scales[t];
    let o = 0;
    // Four outputs share each x load (as core/cpu/linear.ts); integer sums: order-free.
    for (; o + 4 <= out; o += 4) {
      const w0 = o * nIn,
        w1 = w0 + nIn,
        w2 = w1 + nIn,
        w3 = w2 + nIn;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0;
      for (let i = 0; i < nIn; i++) {
        const xv = xq[xRow + i];
        a0 += xv * wq[w0 + i];
        a1 += xv * wq[w1 + i];
        a2 += xv * wq[w2 + i];
        a3 += xv * wq[w3 + i];
      }
      const yo = t * out + o;
      y[yo] = intEpilogue(a0, xs, w.scales[o], bias ? bias[o] : 0);
      y[yo + 1] = intEpilogue(a1, xs, w.scales[o + 1], bias ? bias[o + 1] : 0);
      y[yo + 2] = intEpilogue(a2, xs, w.scales[o + 2], bias ? bias[o + 2] : 0);
      y[yo + 3] = intEpilogue(a3, xs, w.scales[o + 3], bias ? bias[o + 3] : 0);
    }
    for (; o < out; o++) {
      let acc = 0;
      for (let i = 0; i < nIn; i++) acc += xq[xRow + i] * wq[o * nIn + i];
      y[t * out + o] = intEpilogue(acc, xs, w.scales[o], bias ? bias[o] : 0);
    }
  }
  return y;
}

/** The HP values as integer codes: same layout as HPMatrix.values, one scale per output row
 *  (the row's largest kept |w|: pruned weights do not widen the range). */
export type HPQuant = HPCodes;

/** Visits the stored values of each output row (index into values). */
function forEachRowValue(hp: HPMatrix, visit: (row: number, index: number) => void): void {
  const { out, tr, m, k } = hp;
  const { tileRows } = tileGrid(hp);
  for (let tRow = 0; tRow < tileRows; tRow++) {
    for (let i = tRow * m * k; i < (tRow + 1) * m * k; i++) {
      for (let r = 0; r < tr; r++) if (tRow * tr + r < out) visit(tRow * tr + r, i * tr + r);
    }
  }
}

export function quantizeHP(hp: HPMatrix, bits: QuantBits): HPQuant {
  const amax = new Float32Array(hp.out);
  forEachRowValue(hp, (row, i) => (amax[row] = Math.max(amax[row], Math.abs(hp.values[i]))));
  const pairs = Array.from(amax, (a) => scalePair(a, bits));
  const codes = codesFor(bits, hp.values.length);
  const qmax = qmaxOf(bits);
  forEachRowValue(hp, (row, i) => (codes[i] = quantizeValue(hp.values[i], pairs[row].inv, qmax)));
  return { bits, codes, scales: Float32Array.from(pairs, (p) => p.scale) };
}

/** HP-sparse integer linear, straight from the HP arrays (as core/cpu/linear.ts hpLinear). */
export function intHPLinear(x: QuantizedRows, hp: HPMatrix, w: HPQuant, bias?: Float32Array): Float32Array {
  checkPair(x, hp.in, w.bits, 'intHPLinear');
  if (w.codes.length !== hp.values.length)
    throw new RangeError(`intHPLinear: ${w.codes.length} codes for ${hp.values.length} HP values`);
  const { out, in: nIn, tr } = hp;
  const { tileRows } = tileGrid(hp);
  const y = new Float32Array(x.rows * out);
  const acc = new Float64Array(tr);
  for (let t = 0; t < x.rows; t++) {
    for (let tRow = 0; tRow < tileRows; tRow++) {
      hpTileRowProducts(hp, w.codes, x.q, t * nIn, tRow, acc); // exact: integer sums below 2^53
      const rows = Math.min(tr, out - tRow * tr);
      for (let r = 0; r < rows; r++) {
        const o = tRow * tr + r;
        y[t * out + o] = intEpilogue(acc[r], x.scales[t], w.scales[o], bias ? bias[o] : 0);
      }
    }
  }
  return y;
}
