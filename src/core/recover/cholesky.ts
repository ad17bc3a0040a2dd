// Dense symmetric positive-definite algebra in float64, row-major n x n: the Cholesky factor,
// solves with many right-hand sides, and the inverse of a lower-triangular factor. Loops run along
// contiguous rows (the inner loops are dot products or axpys over memory in order), which is what
// V8 turns into tight scalar code.

export class NotPositiveDefiniteError extends Error {
  constructor(readonly column: number) {
    super(`matrix is not positive definite (pivot ${column}); raise the damping`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/** In place: the lower triangle of `a` becomes L with a = L Lᵀ (upper triangle left as is). */
export function choleskyInPlace(a: Float64Array, n: number): void {
  if (a.length < n * n) throw new RangeError(`matrix has ${a.length} entries, expected ${n} x ${n}`);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let p = 0; p < j; p++) d -= a[rj + p] * a[rj + p];
    if (!(d > 0)) throw new NotPositiveDefiniteError(j);
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    // Rows below j: L[i][j] = (a[i][j] - L[i][:j] . L[j][:j]) / L[j][j], four rows at a time.
    let i = j + 1;
    for (; i + 4 <= n; i += 4) {
      const r0 = i * n,
        r1 = r0 + n,
        r2 = r1 + n,
        r3 = r2 + n;
      let s0 = a[r0 + j],
        s1 = a[r1 + j],
        s2 = a[r2 + j],
        s3 = a[r3 + j];
      for (let p = 0; p < j; p++) {
        const l = a[rj + p];
        s0 -= a[r0 + p] * l;
        s1 -= a[r1 + p] * l;
        s2 -= a[r2 + p] * l;
        s3 -= a[r3 + p] * l;
      }
      a[r0 + j] = s0 * inv;
      a[r1 + j] = s1 * inv;
      a[r2 + j] = s2 * inv;
      a[r3 + j] = s3 * inv;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let p = 0; p < j; p++) s -= a[ri + p] * a[rj + p];
      a[ri + j] = s * inv;
    }
  }
}

/**
 * In place: B (n x r, row-major) becomes A⁻¹ B, given the Cholesky factor L of A (lower triangle
 * of `l`). Forward then backward substitution, each row of B updated as a whole (axpy over r).
 */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, r: number): void {
  if (b.length < n * r) throw new RangeError(`right-hand side has ${b.length} entries, expected ${n} x ${r}`);
  for (let i = 0; i < n; i++) {
    const bi = i * r;
    for (let p = 0; p < i; p++) {
      const f = l[i * n + p];
      if (f === 0) continue;
      const bp = p * r;
      for (let c = 0; c < r; c++) b[bi + c] -= f * b[bp + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < r; c++) b[bi + c] *= inv;
  }
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * r;
    for (let p = i + 1; p < n; p++) {
      const f = l[p * n + i]; // Lᵀ[i][p]
      if (f === 0) continue;
      const bp = p * r;
      for (let c = 0; c < r; c++) b[bi + c] -= f * b[bp + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < r; c++) b[bi + c] *= inv;
  }
}

/**
 * The inverse of the lower-triangular L (lower triangle of `l`), returned TRANSPOSED (upper
 * triangular): t[j][i] = (L⁻¹)[i][j]. In that layout every entry is a dot product of two
 * contiguous runs, L[i][j..i) and t[j][j..i), which V8 runs far faster than the row-axpy form.
 */
export function lowerInverseTransposed(l: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    const d = 1 / l[li + i];
    t[i * n + i] = d;
    let j = 0;
    for (; j + 4 <= i; j += 4) {
      // Rows j..j+3 of t: their dots start at j..j+3; the common part from j + 3 shares loads.
      const t0 = j * n,
        t1 = t0 + n,
        t2 = t1 + n,
        t3 = t2 + n;
      let s0 = t[t0 + j] * l[li + j] + t[t0 + j + 1] * l[li + j + 1] + t[t0 + j + 2] * l[li + j + 2];
      let s1 = t[t1 + j + 1] * l[li + j + 1] + t[t1 + j + 2] * l[li + j + 2];
      let s2 = t[t2 + j + 2] * l[li + j + 2];
      let s3 = 0;
      for (let p = j + 3; p < i; p++) {
        const f = l[li + p];
        s0 += t[t0 + p] * f;
        s1 += t[t1 + p] * f;
        s2 += t[t2 + p] * f;
        s3 += t[t3 + p] * f;
      }
      t[t0 + i] = -s0 * d;
      t[t1 + i] = -s1 * d;
      t[t2 + i] = -s2 * d;
      t[t3 + i] = -s3 * d;
    }
    for (; j < i; j++) {
      const tj = j * n;
      let s = 0;
      for (let p = j; p < i; p++) s += t[tj + p] * l[li + p];
      t[tj + i] = -s * d;
    }
  }
  return t;
}
