// y = x Wᵀ + b for a pruned W, doing only the kept products: rows with the same kept set (a
// tile-row in HP, tile-only and vector-only; every row of a dense matrix) form a group whose
// kept inputs are gathered once per token pair and then dotted with each row's packed weights,
// four rows by two tokens at a time. Reconstruction runs every calibration token through the
// pruned layers, so this is most of its time.
import { rowGroups } from './reconstruct';

interface Group {
  start: number;
  rows: number;
  /** Kept input columns, ascending. */
  cols: Int32Array;
  /** rows x cols.length, row-major: the kept weights packed. */
  packed: Float64Array;
}

export class MaskedLinear {
  private readonly groups: Group[];
  private readonly bias: Float32Array;

  constructor(
    weight: Float32Array,
    mask: Uint8Array,
    readonly out: number,
    readonly nIn: number,
    bias?: Float32Array,
  ) {
    this.bias = bias ?? new Float32Array(out);
    if (weight.length !== out * nIn || mask.length !== out * nIn)
      throw new RangeError(`weight and mask must have ${out} x ${nIn} entries`);
    this.groups = rowGroups(mask, out, nIn).map(([start, end]) => {
      const keep: number[] = [];
      for (let j = 0; j < nIn; j++) if (mask[start * nIn + j]) keep.push(j);
      const cols = Int32Array.from(keep);
      const s = cols.length;
      const packed = new Float64Array((end - start) * s);
      for (let r = start; r < end; r++)
        for (let p = 0; p < s; p++) packed[(r - start) * s + p] = weight[r * nIn + cols[p]];
      return { start, rows: end - start, cols, packed };
    });
  }

  apply(x: Float32Array, tokens: number): Float32Array {
    const { out, nIn } = this;
    if (x.length < tokens * nIn) throw new RangeError(`input has ${x.length} values, expected ${tokens} x ${nIn}`);
    const y = new Float32Array(tokens * out);
    const xa = new Float64Array(nIn);
    const xb = new Float64Array(nIn);
    for (const g of this.groups) {
      const { cols, packed, rows, start } = g;
      const s = cols.length;
      for (let t = 0; t < tokens; t += 2) {
        const two = t + 1 < tokens;
        const ra = t * nIn,
          rb = ra + nIn;
        for (let p = 0; p < s; p++) {
          xa[p] = x[ra + cols[p]];
          xb[p] = two ? x[rb + cols[p]] : 0;
        }
        const ya = t * out + start,
          yb = ya + out;
        const bias = this.bias;
        let r = 0;
        for (; r + 4 <= rows; r += 4) {
          const w0 = r * s,
            w1 = w0 + s,
            w2 = w1 + s,
            w3 = w2 + s;
          let a0 = 0,
            a1 = 0,
            a2 = 0,
            a3 = 0,
            b0 = 0,
            b1 = 0,
            b2 = 0,
            b3 = 0;
          for (let p = 0; p < s; p++) {
            const u = xa[p],
              v = xb[p];
            const c0 = packed[w0 + p],
              c1 = packed[w1 + p],
              c2 = packed[w2 + p],
              c3 = packed[w3 + p];
            a0 += u * c0;
            a1 += u * c1;
            a2 += u * c2;
            a3 += u * c3;
            b0 += v * c0;
            b1 += v * c1;
            b2 += v * c2;
            b3 += v * c3;
          }
          y[ya + r] = a0 + bias[start + r];
          y[ya + r + 1] = a1 + bias[start + r + 1];
          y[ya + r + 2] = a2 + bias[start + r + 2];
          y[ya + r + 3] = a3 + bias[start + r + 3];
          if (two) {
            y[yb + r] = b0 + bias[start + r];
            y[yb + r + 1] = b1 + bias[start + r + 1];
            y[yb + r + 2] = b2 + bias[start + r + 2];
            y[yb + r + 3] = b3 + bias[start + r + 3];
          }
        }
        for (; r < rows; r++) {
          const w0 = r * s;
          let a = 0,
            b = 0;
          for (let p = 0; p < s; p++) {
            a += xa[p] * packed[w0 + p];
            b += xb[p] * packed[w0 + p];
          }
          y[ya + r] = a + bias[start + r];
          if (two) y[yb + r] = b + bias[start + r];
        }
      }
    }
    return y;
  }
}
