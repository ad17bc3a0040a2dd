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
 * For large groups: a threshold from a sorted copy, then ties by index, no comparator calls.
 */
export function markTopK(scores: Float32Array, start: number, n: number, stride: number, k: number, keep: Uint8Array): void {
  if (k <= 0) return;
  if (k >= n) {
    for (let i = 0; i < n; i++) keep[start + i * stride] = 1;
    return;
  }
  const sorted = new Float32Array(n);
  for (let i = 0; i < n; i++) sorted[i] = scores[start + i * stride];
  sorted.sort();
  const threshold = sorted[n - k];
  let above = 0;
  for (let i = n - 1; i >= 0 && sorted[i] > threshold; i--) above++;
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
