// CPU linear layers in plain TypeScript: the visitor's CPU measurement (in a worker) and the
// reference the GPU kernels are checked against. y = x Wᵀ + b, x: tokens x in, W: out x in.
import { tileGrid, type HPMatrix } from '../formats/hp';

/** Dense: each output is a dot product of two contiguous rows; four outputs at a time share
 *  each x load (2-2.5x faster in V8 than one at a time; the sum order per output is unchanged). */
export function denseLinear(
  x: Float32Array,
  tokens: number,
  weight: Float32Array,
  out: number,
  nIn: number,
  bias?: Float32Array,
): Float32Array {
  const y = new Float32Array(tokens * out);
  for (let t = 0; t < tokens; t++) {
    const xRow = t * nIn;
    const yRow = t * out;
    let o = 0;
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
        const xv = x[xRow + i];
        a0 += xv * weight[w0 + i];
        a1 += xv * weight[w1 + i];
        a2 += xv * weight[w2 + i];
        a3 += xv * weight[w3 + i];
      }
      y[yRow + o] = a0 + (bias ? bias[o] : 0);
      y[yRow + o + 1] = a1 + (bias ? bias[o + 1] : 0);
      y[yRow + o + 2] = a2 + (bias ? bias[o + 2] : 0);
      y[yRow + o + 3] = a3 + (bias ? bias[o + 3] : 0);
    }
    for (; o < out; o++) {
      const wRow = o * nIn;
      let acc = 0;
      for (let i = 0; i < nIn; i++) acc += x[xRow + i] * weight[wRow + i];
      y[yRow + o] = acc + (bias ? bias[o] : 0);
    }
  }
  return y;
}

/** One token's products over one tile-row of an HP matrix, into acc (tr sums): for each kept
 *  column (one input feature) of a kept tile, x[col] times the column's tr stored values.
 *  `values` may be the f32 values or their integer codes (core/quant): the walk is the same. */
export function hpTileRowProducts(
  hp: HPMatrix,
  values: ArrayLike<number>,
  x: ArrayLike<number>,
  xRow: number,
  tRow: number,
  acc: Float64Array,
): void {
  const { in: nIn, tr, tc, m, k } = hp;
  acc.fill(0);
  for (let j = 0; j < m; j++) {
    const tile = tRow * m + j;
    const colBase = hp.tileCol[tile] * tc;
    for (let c = 0; c < k; c++) {
      const col = colBase + hp.colOff[tile * k + c];
      if (col >= nIn) continue;
      const xv = x[xRow + col];
      if (xv === 0) continue;
      const v = (tile * k + c) * tr;
      for (let r = 0; r < tr; r++) acc[r] += xv * values[v + r];
    }
  }
}

/** HP-sparse straight from the HP arrays, one tile-row of outputs at a time. */
export function hpLinear(x: Float32Array, tokens: number, hp: HPMatrix, bias?: Float32Array): Float32Array {
  const { out, in: nIn, tr } = hp;
  const { tileRows } = tileGrid(hp);
  const y = new Float32Array(tokens * out);
  const acc = new Float64Array(tr);
  for (let t = 0; t < tokens; t++) {
    for (let tRow = 0; tRow < tileRows; tRow++) {
      hpTileRowProducts(hp, hp.values, x, t * nIn, tRow, acc);
      const rows = Math.min(tr, out - tRow * tr);
      for (let r = 0; r < rows; r++) {
        const o = tRow * tr + r;
        y[t * out + o] = acc[r] + (bias ? bias[o] : 0);
      }
    }
  }
  return y;
}
