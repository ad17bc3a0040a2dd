// H = Xᵀ X over calibration tokens, in float64: the Gram matrix of a linear layer's inputs. For
// y = x Wᵀ the reconstruction error of replacing W by W' is tr((W - W') H (W - W')ᵀ), so H is
// all that layer-wise reconstruction needs from the data.

/** Tokens gathered per block: columns of the block stay in cache while every pair is summed. */
const CHUNK = 96;

export class GramAccumulator {
  /** Row-major d x d; only the upper triangle is summed until `matrix()` mirrors it. */
  private readonly h: Float64Array;
  /** Feature-major block: chunk[i * CHUNK + t] = x_t[i]. */
  private readonly chunk: Float64Array;
  private fill = 0;
  tokens = 0;
  /** Σ_t x_t over the added rows (the intercept column's products). */
  readonly sum: Float64Array;

  constructor(readonly d: number) {
    this.h = new Float64Array(d * d);
    this.chunk = new Float64Array(d * CHUNK);
    this.sum = new Float64Array(d);
  }

  /** Adds the rows r < `rows` of x (rows x d, row-major) for which keep(r) is true (e.g. real tokens). */
  add(x: Float32Array, rows: number, keep: (row: number) => boolean = () => true): void {
    const d = this.d;
    if (x.length < rows * d) throw new RangeError(`input has ${x.length} values, expected ${rows} x ${d}`);
    for (let r = 0; r < rows; r++) {
      if (!keep(r)) continue;
      const src = r * d;
      for (let i = 0; i < d; i++) {
        this.chunk[i * CHUNK + this.fill] = x[src + i];
        this.sum[i] += x[src + i];
      }
      this.tokens++;
      if (++this.fill === CHUNK) this.flush();
    }
  }

  /** H (a fresh symmetric matrix). The accumulator can keep adding afterwards. */
  matrix(): Float64Array {
    this.flush();
    const d = this.d;
    const h = this.h.slice();
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h[i * d + j] = h[j * d + i];
    return h;
  }

  /** Sums the block's outer products into the upper triangle: two rows of H by four columns at
   *  a time, so each loaded feature value serves several products. */
  private flush(): void {
    const n = this.fill;
    if (n === 0) return;
    const { d, h, chunk: c } = this;
    const C = CHUNK;
    let i = 0;
    for (; i + 2 <= d; i += 2) {
      const a0 = i * C,
        a1 = a0 + C;
      // (i, i), (i, i+1), (i+1, i+1) first; then columns from i + 2 in fours.
      let s00 = 0,
        s01 = 0,
        s11 = 0;
      for (let t = 0; t < n; t++) {
        const u = c[a0 + t],
          v = c[a1 + t];
        s00 += u * u;
        s01 += u * v;
        s11 += v * v;
      }
      h[i * d + i] += s00;
      h[i * d + i + 1] += s01;
      h[(i + 1) * d + i + 1] += s11;
      addDots(c, a0, a1, c, i + 2, d, n, h, i * d, (i + 1) * d);
    }
    for (; i < d; i++) {
      const a = i * C;
      let s = 0;
      for (let t = 0; t < n; t++) s += c[a + t] * c[a + t];
      h[i * d + i] += s;
    }
    this.fill = 0;
  }
}

/**
 * C = Xᵀ Y over calibration tokens (in x out, row-major, float64): the inputs' correlation with
 * target outputs (reconstruction towards the dense model's outputs). Tokens are gathered in
 * feature-major blocks, so C is swept once per block, not once per token.
 */
export class CrossAccumulator {
  private readonly c: Float64Array;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private fill = 0;
  /** Σ_t (y_t - bias) over the added rows. */
  readonly targetSum: Float64Array;

  constructor(
    readonly d: number,
    readonly out: number,
  ) {
    this.targetSum = new Float64Array(out);
    this.c = new Float64Array(d * out);
    this.xs = new Float64Array(d * CHUNK);
    this.ys = new Float64Array(out * CHUNK);
  }

  /** Adds rows r < `rows` of x (rows x d) and y (rows x out) for which keep(r) is true; `bias`
   *  is subtracted from y first. */
  add(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    keep: (row: number) => boolean = () => true,
    bias?: Float32Array,
  ): void {
    const { d, out } = this;
    if (x.length < rows * d || y.length < rows * out)
      throw new RangeError(`inputs have ${x.length} / ${y.length} values, expected ${rows} x ${d} / ${rows} x ${out}`);
    for (let r = 0; r < rows; r++) {
      if (!keep(r)) continue;
      for (let i = 0; i < d; i++) this.xs[i * CHUNK + this.fill] = x[r * d + i];
      for (let o = 0; o < out; o++) {
        const v = y[r * out + o] - (bias ? bias[o] : 0);
        this.ys[o * CHUNK + this.fill] = v;
        this.targetSum[o] += v;
      }
      if (++this.fill === CHUNK) this.flush();
    }
  }

  matrix(): Float64Array {
    this.flush();
    return this.c.slice();
  }

  /** Two rows of C by four columns at a time over the block's tokens. */
  private flush(): void {
    const n = this.fill;
    if (n === 0) return;
    const { d, out, c, xs, ys } = this;
    for (let i = 0; i < d; i += 2) {
      const a0 = i * CHUNK;
      const two = i + 1 < d;
      const a1 = two ? a0 + CHUNK : a0;
      addDots(xs, a0, a1, ys, 0, out, n, c, i * out, two ? (i + 1) * out : -1);
    }
    this.fill = 0;
  }
}

/**
 * dest[r0 + j] += Σ_t a[a0 + t] · b[j·CHUNK + t] and dest[r1 + j] likewise from a[a1 + t], for j in
 * [from, to) and t < n (r1 < 0: the second row is skipped): two rows by four columns at a time,
 * so each loaded value serves several products.
 */
function addDots(
  a: Float64Array,
  a0: number,
  a1: number,
  b: Float64Array,
  from: number,
  to: number,
  n: number,
  dest: Float64Array,
  r0: number,
  r1: number,
): void {
  const C = CHUNK;
  let j = from;
  for (; j + 4 <= to; j += 4) {
    const b0 = j * C,
      b1 = b0 + C,
      b2 = b1 + C,
      b3 = b2 + C;
    let p0 = 0,
      p1 = 0,
      p2 = 0,
      p3 = 0,
      q0 = 0,
      q1 = 0,
      q2 = 0,
      q3 = 0;
    for (let t = 0; t < n; t++) {
      const u = a[a0 + t],
        v = a[a1 + t];
      const w0 = b[b0 + t],
        w1 = b[b1 + t],
        w2 = b[b2 + t],
        w3 = b[b3 + t];
      p0 += u * w0;
      p1 += u * w1;
      p2 += u * w2;
      p3 += u * w3;
      q0 += v * w0;
      q1 += v * w1;
      q2 += v * w2;
      q3 += v * w3;
    }
    dest[r0 + j] += p0;
    dest[r0 + j + 1] += p1;
    dest[r0 + j + 2] += p2;
    dest[r0 + j + 3] += p3;
    if (r1 >= 0) {
      dest[r1 + j] += q0;
      dest[r1 + j + 1] += q1;
      dest[r1 + j + 2] += q2;
      dest[r1 + j + 3] += q3;
    }
  }
  for (; j < to; j++) {
    const bj = j * C;
    let p = 0,
      q = 0;
    for (let t = 0; t < n; t++) {
      p += a[a0 + t] * b[bj + t];
      q += a[a1 + t] * b[bj + t];
    }
    dest[r0 + j] += p;
    if (r1 >= 0) dest[r1 + j] += q;
  }
}
