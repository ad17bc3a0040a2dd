// y = x Wᵀ + b for a pruned W (or a dense one: no mask) in f32 WebAssembly SIMD (wasm-gemm.ts).
// Rows with the same kept set (a tile-row in HP, tile-only and vector-only) form a group: its kept
// input columns are gathered once and multiplied by the group's packed weights, so only the kept
// products are done. Where the groups are single rows (unstructured, N:M), the whole matrix with
// its zeros is cheaper than thousands of one-row products. Reconstruction runs every calibration
// token through the pruned and the dense layers, so this is most of its time.
import { keptColumns, rowGroups } from './reconstruct';
import { Gemm, roundUp } from './wasm-gemm';

/** One gathered element costs about this many of the kernel's multiply-adds (1-1.5 ns against
 *  ~7.5 GMAC/s, AMD EPYC): single-row groups (unstructured, N:M) are cheaper as the whole matrix. */
const GATHER_COST = 10;

interface Group {
  start: number;
  rows: number;
  /** Kept input columns, ascending. */
  cols: Int32Array;
  /** cols.length x roundUp(rows, 8), row-major: the group's kept weights, transposed. */
  packed: Float32Array;
  /** Where the Gemm keeps `packed` for good (a resident linear), else -1: copied in per call. */
  at: number;
}

export class MaskedLinear {
  private readonly groups: Group[];
  private readonly bias: Float32Array;

  /** `mask` 1 = kept (out x in); without one the matrix is dense. */
  constructor(
    weight: Float32Array,
    mask: Uint8Array | undefined,
    readonly out: number,
    readonly nIn: number,
    bias?: Float32Array,
    private readonly gemm = new Gemm(),
    /** Keep the packed weights in the Gemm's memory for good (Gemm.keep: no copy per call), for a
     *  linear that serves the whole run (the dense model's); only where no mark is out. */
    resident = false,
  ) {
    this.bias = bias ?? new Float32Array(out);
    if (weight.length !== out * nIn || (mask && mask.length !== out * nIn))
      throw new RangeError(`weight and mask must have ${out} x ${nIn} entries`);
    const all = new Int32Array(nIn);
    for (let j = 0; j < nIn; j++) all[j] = j;
    const groups: Array<{ start: number; end: number; cols: Int32Array }> = [];
    if (mask)
      for (const [start, end] of rowGroups(mask, out, nIn))
        groups.push({ start, end, cols: Int32Array.from(keptColumns(mask, start, nIn)) });
    // Per token: a group costs its products (rows padded to 8) plus gathering its columns (about
    // GATHER_COST multiply-adds an element).
    const grouped = groups.reduce((s, g) => s + g.cols.length * (roundUp(g.end - g.start, 8) + GATHER_COST), 0);
    const whole = mask && grouped < nIn * roundUp(out, 8) ? groups : [{ start: 0, end: out, cols: all }];
    this.groups = [];
    for (const { start, end, cols } of whole) {
      const packed = pack(weight, mask, nIn, start, end, cols);
      const at = resident && cols.length > 0 ? gemm.keep(packed) : -1;
      this.groups.push({ start, rows: end - start, cols, packed: at < 0 ? packed : new Float32Array(0), at });
    }
  }

  /** x Wᵀ + b for the first `tokens` rows of x; into `into` (tokens x out, overwritten) if given. */
  apply(x: Float32Array, tokens: number, into?: Float32Array): Float32Array {
    const { out, nIn, gemm, bias } = this;
    if (x.length < tokens * nIn) throw new RangeError(`input has ${x.length} values, expected ${tokens} x ${nIn}`);
    const m = roundUp(tokens, 4);
    const mark = gemm.mark();
    // Rows past `tokens` (padding to 4) are zeroed; the rest is written before it is read.
    const xs = gemm.alloc(m * nIn, false);
    gemm.f32.set(x.subarray(0, tokens * nIn), xs);
    gemm.f32.fill(0, xs + tokens * nIn, xs + m * nIn);
    // Y starts as the bias; each group adds its products into its columns (the packed weights'
    // padding columns add zeros to the next group's or the next row's, or to the slack at the end),
    // so Y is packed and leaves the memory in one copy.
    const ldy = out;
    const y = gemm.alloc(m * ldy + 8, false);
    for (let t = 0; t < tokens; t++) gemm.f32.set(bias, y + t * ldy);
    gemm.f32.fill(0, y + tokens * ldy, y + m * ldy + 8);
    for (const { start, rows, cols, packed, at } of this.groups) {
      const s = cols.length;
      if (s === 0) continue;
      const inner = gemm.mark();
      const ld = roundUp(rows, 8);
      let a = xs;
      if (s < nIn) {
        a = gemm.alloc(m * s, false);
        gemm.gather(xs, nIn, cols, a, s, tokens);
        gemm.f32.fill(0, a + tokens * s, a + m * s);
      }
      let w = at;
      if (w < 0) {
        w = gemm.alloc(s * ld, false);
        gemm.f32.set(packed, w);
      }
      gemm.gemm(a, s, w, ld, y + start, ldy, m, ld, s);
      gemm.release(inner);
    }
    const product = gemm.f32.subarray(y, y + tokens * out);
    const result = into && into.length === tokens * out ? (into.set(product), into) : product.slice();
    gemm.release(mark);
    return result;
  }
}

/** Rows [start, end) of W at columns `cols`, transposed: cols.length x roundUp(rows, 8), 0 where
 *  the mask drops a weight. */
function pack(
  weight: Float32Array,
  mask: Uint8Array | undefined,
  nIn: number,
  start: number,
  end: number,
  cols: Int32Array,
): Float32Array {
  const rows = end - start;
  const ld = roundUp(rows, 8);
  const packed = new Float32Array(cols.length * ld);
  for (let r = 0; r < rows; r++) {
    const w = (start + r) * nIn;
    for (let p = 0; p < cols.length; p++)
      if (!mask || mask[w + cols[p]] !== 0) packed[p * ld + r] = weight[w + cols[p]];
  }
  return packed;
}
