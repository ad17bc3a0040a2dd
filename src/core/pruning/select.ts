// Stable top-k selection: higher score first, lower index first among equal scores. The same
// order for every k, so the kept sets are nested as k shrinks.

/** Indices (into `scores`, between `start` and `start + n`) of the top `k`, relative to start, ascending. */
export function topKSorted(scores: ArrayLike<number>, start: number, n: number, k: number): number[] {
  if (k <= 0) return [];
  const idx = Array.from({ length: n }, (_, i) => i);
  if (k < n) {
    idx.sort((a, b) => scores[start + b] - scores[start + a] || a - b);
    idx.length = k;
  }
  return idx.sort((a, b) => a - b);
}

/**
 * Marks the top `k` of scores[start + i * stride], i < n, in `keep` (at the same positions).
 * For large groups: the k-th largest score by quickselect (O(n)), then ties by index.
 */
export function markTopK(
  scores: Float32Array,
  start: number,
  n: number,
  stride: number,
  k: number,
  keep: Uint8Array,
): void {
  if (k <= 0) return;
  if (k >= n) {
    for (let i = 0; i < n; i++) keep[start + i * stride] = 1;
    return;
  }
  const copy = new Float32Array(n);
  for (let i = 0; i < n; i++) copy[i] = scores[start + i * stride];
  const threshold = kthLargest(copy, k);
  let above = 0;
  for (let i = 0; i < n; i++) if (copy[i] > threshold) above++;
  let tiesLeft = k - above;
  for (let i = 0; i < n; i++) {
    const p = start + i * stride;
    const v = scores[p];
    if (v > threshold) keep[p] = 1;
    else if (v === threshold && tiesLeft > 0) {
      keep[p] = 1;
      tiesLeft--;
    }
  }
}

/** The k-th largest value (1-based) of `a`; reorders `a`. Three-way quickselect: ties are cheap. */
export function kthLargest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  let seed = 0x9e3779b9;
  for (;;) {
    if (lo === hi) return a[lo];
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const pivot = a[lo + (seed % (hi - lo + 1))];
    // Partition [lo, hi] into > pivot | == pivot | < pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v > pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v < pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
}
