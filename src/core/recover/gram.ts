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

  constructor(readonly d: number) {
    this.h = new Float64Array(d * d);
    this.chunk = new Float64Array(d * CHUNK);
  }

  /** Adds the rows r < `rows` of x (rows x d, row-major) for which keep(r) is true (e.g. real tokens). */
  add(x: Float32Array, rows: number, keep: (row: number) => boolean = () => true): void {
    const d = this.d;
    if (x.length < rows * d) throw new RangeError(`input has ${x.length} values, expected ${rows} x ${d}`);
    for (let r = 0; r < rows; r++) {
      if (!keep(r)) continue;
      const src = r * d;
      for (let i = 0; i < d; i++) this.chunk[i * CHUNK + this.fill] = x[src + i];
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
      const a0 = i * C, a1 = a0 + C;
      // (i, i), (i, i+1), (i+1, i+1) first; then columns from i + 2 in fours.
      let s00 = 0, s01 = 0, s11 = 0;
      for (let t = 0; t < n; t++) {
        const u = c[a0 + t], v = c[a1 + t];
        s00 += u * u;
        s01 += u * v;
        s11 += v * v;
      }
      h[i * d + i] += s00;
      h[i * d + i + 1] += s01;
      h[(i + 1) * d + i + 1] += s11;
      let j = i + 2;
      for (; j + 4 <= d; j += 4) {
        const b0 = j * C, b1 = b0 + C, b2 = b1 + C, b3 = b2 + C;
        let p0 = 0, p1 = 0, p2 = 0, p3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (let t = 0; t < n; t++) {
          const u = c[a0 + t], v = c[a1 + t];
          const w0 = c[b0 + t], w1 = c[b1 + t], w2 = c[b2 + t], w3 = c[b3 + t];
          p0 += u * w0;
          p1 += u * w1;
          p2 += u * w2;
          p3 += u * w3;
          q0 += v * w0;
          q1 += v * w1;
          q2 += v * w2;
          q3 += v * w3;
        }
        const r0 = i * d + j, r1 = r0 + d;
        h[r0] += p0;
        h[r0 + 1] += p1;
        h[r0 + 2] += p2;
        h[r0 + 3] += p3;
        h[r1] += q0;
        h[r1 + 1] += q1;
        h[r1 + 2] += q2;
        h[r1 + 3] += q3;
      }
      for (; j < d; j++) {
        const b = j * C;
        let p = 0, q = 0;
        for (let t = 0; t < n; t++) {
          p += c[a0 + t] * c[b + t];
          q += c[a1 + t] * c[b + t];
        }
        h[i * d + j] += p;
        h[(i + 1) * d + j] += q;
      }
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
