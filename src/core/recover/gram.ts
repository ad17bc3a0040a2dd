// H = Xᵀ X over calibration tokens: the Gram matrix of a linear layer's inputs. For y = x Wᵀ the
// reconstruction error of replacing W by W' is tr((W - W') H (W - W')ᵀ), so H is all that
// layer-wise reconstruction needs from the data (and Xᵀ Y, for targets other than X Wᵀ).
// Tokens are gathered in chunks; each chunk's products run in f32 WebAssembly SIMD (wasm-gemm.ts)
// and are added into float64, so the sums over thousands of tokens keep float64's accuracy.
import { Gemm, roundUp } from './wasm-gemm';

/** Tokens per chunk: the f32 sums run over at most this many products. */
const CHUNK = 256;

/** Token-major staging of up to CHUNK rows of width d. */
class Chunk {
  readonly rows: Float32Array;
  fill = 0;
  constructor(readonly d: number) {
    this.rows = new Float32Array(CHUNK * d);
  }
}

/** A chunk as it is (n x roundUp(d, 8), zero columns past d): both operands of Xᵀ X (the left one
 *  read transposed) and either of Xᵀ Y. */
function rowMajor(gemm: Gemm, c: Chunk): number {
  const { d, fill: n, rows } = c;
  const ld = roundUp(d, 8);
  const b = gemm.alloc(n * ld, ld > d); // the padding columns zeroed
  for (let t = 0; t < n; t++) gemm.f32.set(rows.subarray(t * d, t * d + d), b + t * ld);
  return b;
}

/** The entries of H that some kept set needs, each summed by one set only: `owned` pairs of
 *  (position in the set's s x s product, index into H). */
interface SubGram {
  cols: ArrayLike<number>;
  product: Int32Array;
  target: Int32Array;
  /** The set's s x s products summed in float64 (row stride roundUp(s, 8), upper triangle),
   *  scattered into H by matrix(): H's entries are far apart, the sums are not. */
  sums: Float64Array;
}

export class GramAccumulator {
  /** Row-major d x d; only the upper triangle is summed until `matrix()` mirrors it. */
  private readonly h?: Float64Array;
  private readonly chunk: Chunk;
  /** With kept sets: the diagonal, summed for every input (the damping is its mean). */
  private readonly diag: Float64Array;
  private readonly subGrams?: SubGram[];
  tokens = 0;
  /** Σ_t x_t over the added rows (the intercept column's products). */
  readonly sum: Float64Array;

  /**
   * With `keptSets` (the kept input columns of every row group of the matrices that read these
   * inputs), only the entries of H within one set are summed (besides the diagonal): all that the
   * row-group solver reads with targets given as Xᵀ Y, and much less than d x d where the sets are
   * few and small (an FFN output matrix). Unused when the sets would cost as much as H itself.
   */
  constructor(
    readonly d: number,
    private readonly gemm = new Gemm(),
    keptSets?: ArrayLike<number>[],
    /** Form `sum` (only bias fitting reads it). */
    private readonly sums = true,
  ) {
    this.chunk = new Chunk(d);
    this.sum = new Float64Array(d);
    this.diag = new Float64Array(d);
    if (keptSets) this.subGrams = subGrams(d, keptSets);
    // Summed into only without kept sets (they have their own sums): ~11.5 MB fewer to allocate
    // and fault in per FFN-output stage.
    if (!this.subGrams) this.h = new Float64Array(d * d);
  }

  /** Adds the rows r < `rows` of x (rows x d, row-major) for which keep(r) is true (e.g. real tokens). */
  add(x: Float32Array, rows: number, keep: (row: number) => boolean = () => true): void {
    const { d, chunk } = this;
    if (x.length < rows * d) throw new RangeError(`input has ${x.length} values, expected ${rows} x ${d}`);
    for (let r = 0; r < rows;) {
      const end = keptRun(keep, r, rows, CHUNK - chunk.fill);
      if (end === r) {
        r++;
        continue;
      }
      chunk.rows.set(x.subarray(r * d, end * d), chunk.fill * d);
      // (With kept sets the diagonal is summed from the chunk, in flushSets.)
      if (this.sums) for (let t = r; t < end; t++) addFrom(this.sum, x, t * d, d);
      this.tokens += end - r;
      chunk.fill += end - r;
      if (chunk.fill === CHUNK) this.flush();
      r = end;
    }
  }

  /** H (a fresh symmetric matrix). The accumulator can keep adding afterwards. */
  matrix(): Float64Array {
    this.flush();
    const d = this.d;
    const h = this.h ? this.h.slice() : new Float64Array(d * d);
    if (this.subGrams) {
      for (const { product, target, sums } of this.subGrams)
        for (let e = 0; e < product.length; e++) h[target[e]] = sums[product[e]];
      for (let i = 0; i < d; i++) h[i * d + i] = this.diag[i];
    }
    mirrorUpper(h, d);
    return h;
  }

  /** The chunk's Xᵀ X (upper triangle) in f32, added into H. (The two cases in methods of their
   *  own: V8 optimised one flush() on one case's feedback, then dropped it on the other's.) */
  private flush(): void {
    const { chunk, gemm } = this;
    if (chunk.fill === 0) return;
    const mark = gemm.mark();
    if (this.subGrams) this.flushSets(this.subGrams);
    else this.flushWhole();
    gemm.release(mark);
    chunk.fill = 0;
  }

  private flushSets(subGrams: SubGram[]): void {
    const { d, chunk, gemm } = this;
    const n = chunk.fill;
    const x = gemm.alloc(n * d, false);
    gemm.f32.set(chunk.rows.subarray(0, n * d), x);
    gemm.addSquares(this.diag, x, d, n);
    for (const { cols, sums } of subGrams) {
      const inner = gemm.mark();
      const s = cols.length;
      const ld = roundUp(s, 8);
      const g = gemm.alloc(n * ld, ld > s); // the set's columns of the chunk
      gemm.gather(x, d, cols, g, ld, n);
      const c = gemm.alloc(ld * ld);
      gemm.gemmUpperTN(g, ld, g, ld, c, ld, ld, n);
      gemm.addInto(sums, ld, c, ld, s, s, true);
      gemm.release(inner);
    }
  }

  private flushWhole(): void {
    const { d, chunk, gemm } = this;
    const h = this.h!;
    const n = chunk.fill;
    const ld = roundUp(d, 8);
    const b = rowMajor(gemm, chunk);
    const c = gemm.alloc(ld * ld);
    gemm.gemmUpperTN(b, ld, b, ld, c, ld, ld, n);
    addUpper(h, d, gemm.f32, c, ld, d);
  }
}

/** Distinct kept sets with the entries each one sums (the first set that holds a pair owns it),
 *  or undefined where summing them would cost more than 0.7 of the whole upper triangle. */
function subGrams(d: number, keptSets: ArrayLike<number>[]): SubGram[] | undefined {
  const distinct = new Map<string, ArrayLike<number>>();
  for (const cols of keptSets) if (cols.length > 0) distinct.set(Array.from(cols).join(','), cols);
  const sets = [...distinct.values()];
  const cost = sets.reduce((c, cols) => c + roundUp(cols.length, 8) ** 2 / 2 + cols.length, 0);
  if (cost > 0.7 * (roundUp(d, 8) ** 2 / 2)) return undefined;
  const owned = new Uint8Array(d * d);
  const result: SubGram[] = [];
  for (const cols of sets) result.push(subGram(d, cols, owned));
  return result;
}

/** The entries of H in `cols` x `cols` (upper triangle) that no set before owns (marked in `owned`). */
function subGram(d: number, cols: ArrayLike<number>, owned: Uint8Array): SubGram {
  const s = cols.length;
  const ld = roundUp(s, 8);
  const product = new Int32Array((s * (s - 1)) / 2);
  const target = new Int32Array((s * (s - 1)) / 2);
  let e = 0;
  for (let p = 0; p < s; p++)
    for (let q = p + 1; q < s; q++) {
      const at = cols[p] * d + cols[q]; // cols ascending: the upper triangle
      if (owned[at]) continue;
      owned[at] = 1;
      product[e] = p * ld + q;
      target[e++] = at;
    }
  return { cols, product: product.slice(0, e), target: target.slice(0, e), sums: new Float64Array(ld * ld) };
}

/** A block's sums (its kept columns x its rows from an 8-aligned start) added into C (in x out). */
function scatterBlock(c: Float64Array, out: number, { start, end, cols }: CrossBlock, sums: Float64Array): void {
  const j0 = start - (start % 8);
  const w = roundUp(end - j0, 8);
  for (let p = 0; p < cols.length; p++) {
    const row = cols[p] * out;
    for (let o = start; o < end; o++) c[row + o] += sums[p * w + o - j0];
  }
}

/** Output rows [start, end) that share the kept input columns `cols` (a tile-row of HP). */
export interface CrossBlock {
  start: number;
  end: number;
  cols: ArrayLike<number>;
}

/**
 * C = Xᵀ Y over calibration tokens (in x out, row-major, float64): the inputs' correlation with
 * target outputs (reconstruction towards the dense model's outputs). With `blocks`, only the
 * entries (cols, start..end) of each block: all that the row-group solver reads for a masked
 * matrix (the kept weights' entries), a fraction of the work at high sparsity; the rest stay 0.
 */
export class CrossAccumulator {
  /** Summed into only without blocks (they have their own sums). */
  private readonly c?: Float64Array;
  /** Per block: its kept columns x its rows from an 8-aligned start, summed in float64
   *  (scattered into C by matrix()). */
  private readonly blockSums: Float64Array[];
  private readonly xs: Chunk;
  private readonly ys: Chunk;
  /** Σ_t (y_t - bias) over the added rows. */
  readonly targetSum: Float64Array;
  /** The bias still to subtract from the chunk's targets (flush). */
  private bias?: Float32Array;

  constructor(
    readonly d: number,
    readonly out: number,
    private readonly blocks?: readonly CrossBlock[],
    private readonly gemm = new Gemm(),
    /** Form `targetSum` (only bias fitting reads it). */
    private readonly sums = true,
  ) {
    this.targetSum = new Float64Array(out);
    if (!blocks) this.c = new Float64Array(d * out);
    this.blockSums = (blocks ?? []).map(
      ({ start, end, cols }) => new Float64Array(roundUp(cols.length, 4) * roundUp(end - (start - (start % 8)), 8)),
    );
    this.xs = new Chunk(d);
    this.ys = new Chunk(out);
  }

  /** Adds rows r < `rows` of x (rows x d) and y (rows x out) for which keep(r) is true; with
   *  `residual` [p, q] the targets are y + (p - q) (each stored as f32), then `bias` comes off. */
  add(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    keep: (row: number) => boolean = () => true,
    bias?: Float32Array,
    residual?: readonly [Float32Array, Float32Array],
  ): void {
    const { d, out, xs, ys } = this;
    if (x.length < rows * d || y.length < rows * out)
      throw new RangeError(`inputs have ${x.length} / ${y.length} values, expected ${rows} x ${d} / ${rows} x ${out}`);
    // The bias comes off in flush() (in WebAssembly; every row of a chunk has the same one), or
    // below where the target sums need it.
    if (!this.sums && bias !== this.bias) {
      this.flush();
      this.bias = bias;
    }
    for (let r = 0; r < rows;) {
      const end = keptRun(keep, r, rows, CHUNK - ys.fill);
      if (end === r) {
        r++;
        continue;
      }
      const n = end - r;
      xs.rows.set(x.subarray(r * d, end * d), xs.fill * d);
      const yr = ys.rows;
      if (!residual) yr.set(y.subarray(r * out, end * out), ys.fill * out);
      else withResidual(yr, ys.fill * out, y, residual[0], residual[1], r * out, n * out);
      for (let yo = ys.fill * out; yo < (ys.fill + n) * out; yo += out) {
        if (bias && this.sums) for (let o = 0; o < out; o++) yr[yo + o] -= bias[o];
        if (this.sums) for (let o = 0; o < out; o++) this.targetSum[o] += yr[yo + o];
      }
      xs.fill += n;
      ys.fill += n;
      if (ys.fill === CHUNK) this.flush();
      r = end;
    }
  }

  matrix(): Float64Array {
    this.flush();
    const { out } = this;
    const c = this.c ? this.c.slice() : new Float64Array(this.d * out);
    const blocks = this.blocks ?? [];
    for (let k = 0; k < blocks.length; k++) scatterBlock(c, out, blocks[k], this.blockSums[k]);
    return c;
  }

  private flush(): void {
    const { out, xs, ys, gemm, blocks } = this;
    const n = xs.fill;
    if (n === 0) return;
    const mark = gemm.mark();
    const ld = roundUp(out, 8);
    const b = rowMajor(gemm, ys);
    if (this.bias) gemm.subRow(b, ld, n, this.bias);
    // The two cases in methods of their own, as GramAccumulator.flush.
    if (blocks) this.flushBlocks(blocks, b, ld);
    else this.flushWhole(b, ld);
    gemm.release(mark);
    xs.fill = ys.fill = 0;
  }

  /** Xᵀ Y of the chunk, the targets (bias off) at `b` (row stride ld), added into C. */
  private flushWhole(b: number, ld: number): void {
    const { d, out, xs, gemm } = this;
    const c = this.c!;
    const n = xs.fill;
    const ldx = roundUp(d, 8);
    const x = rowMajor(gemm, xs);
    const prod = gemm.alloc(ldx * ld);
    gemm.gemmTN(x, ldx, b, ld, prod, ld, roundUp(d, 4), ld, n);
    addBlock(c, out, gemm.f32, prod, ld, d, out);
  }

  /** Each block's entries of Xᵀ Y, added into its sums. */
  private flushBlocks(blocks: readonly CrossBlock[], b: number, ld: number): void {
    const { d, xs, gemm } = this;
    const n = xs.fill;
    const x = gemm.alloc(n * d, false);
    gemm.f32.set(xs.rows.subarray(0, n * d), x);
    for (const [k, { start, end, cols }] of blocks.entries()) {
      const s = cols.length;
      if (s === 0 || end <= start) continue;
      const inner = gemm.mark();
      // The block's kept columns of X, gathered; its columns of Y from an 8-aligned start.
      const sp = roundUp(s, 4);
      const a = gemm.alloc(n * sp, sp > s);
      gemm.gather(x, d, cols, a, sp, n);
      const j0 = start - (start % 8);
      const w = roundUp(end - j0, 8);
      const prod = gemm.alloc(sp * w);
      gemm.gemmTN(a, sp, b + j0, ld, prod, w, sp, w, n);
      gemm.addInto(this.blockSums[k], 0, prod, 0, 1, s * w);
      gemm.release(inner);
    }
  }
}

/** The end of the run of rows from `r` (< rows) that keep() keeps, at most `room` long; r itself
 *  when row r is not kept. The accumulators copy such a run into their chunk in one piece. */
function keptRun(keep: (row: number) => boolean, r: number, rows: number, room: number): number {
  let end = r;
  while (end < rows && end - r < room && keep(end)) end++;
  return end;
}

// The accumulators' float64 loops, as top-level functions: V8 optimises each once and for all,
// where the same loops inside add() / flush() ran unoptimised while those were compiled again on
// the stack (CPU profile: ~0.7 s a thread in these loops).

/** sum[i] += x[at + i] for i < n. */
function addFrom(sum: Float64Array, x: Float32Array, at: number, n: number): void {
  for (let i = 0; i < n; i++) sum[i] += x[at + i];
}

/** dst[i][j] += src[at + i lds + j] for i <= j < n (row stride ldd of dst). */
function addUpper(dst: Float64Array, ldd: number, src: Float32Array, at: number, lds: number, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) dst[i * ldd + j] += src[at + i * lds + j];
}

/** dst[i][j] += src[at + i lds + j] for i < rows, j < cols (row stride ldd of dst). */
function addBlock(
  dst: Float64Array,
  ldd: number,
  src: Float32Array,
  at: number,
  lds: number,
  rows: number,
  cols: number,
) {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) dst[i * ldd + j] += src[at + i * lds + j];
}

/** The lower triangle of the d x d matrix h from its upper one. */
function mirrorUpper(h: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h[i * d + j] = h[j * d + i];
}

/** yr[yo + o] = y[i + o] + (p[i + o] - q[i + o]) for o < n (each stored as f32). */
function withResidual(
  yr: Float32Array,
  yo: number,
  y: Float32Array,
  p: Float32Array,
  q: Float32Array,
  i: number,
  n: number,
) {
  for (let o = 0; o < n; o++) yr[yo + o] = y[i + o] + (p[i + o] - q[i + o]);
}
