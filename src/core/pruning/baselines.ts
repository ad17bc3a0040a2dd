// The non-hierarchical baselines at a given density: unstructured, row-balanced, N:M.
// All use stable top-by-score selection, so masks are nested as the kept count shrinks.
import { markTopK } from './select';

/** Keeps round(d * out * in) weights of highest score in the whole matrix. */
export function pruneUnstructured(scores: Float32Array, density: number): { mask: Uint8Array; keep: number } {
  const keep = Math.round(density * scores.length);
  const mask = new Uint8Array(scores.length);
  markTopK(scores, 0, scores.length, 1, keep, mask);
  return { mask, keep };
}

/** Every output row keeps the same round(d * in) weights of highest score (bank-balanced). */
export function pruneRowBalanced(
  scores: Float32Array,
  out: number,
  nIn: number,
  density: number,
): { mask: Uint8Array; perRow: number } {
  const perRow = Math.round(density * nIn);
  const mask = new Uint8Array(out * nIn);
  for (let r = 0; r < out; r++) markTopK(scores, r * nIn, nIn, 1, perRow, mask);
  return { mask, perRow };
}

/**
 * N:M along the input dimension: each output row is cut into groups of M consecutive input
 * weights and every group keeps its N of highest score. A trailing group of g < M weights is
 * treated as zero-padded to M (padding never kept), so it keeps min(N, g).
 */
export function pruneNM(scores: Float32Array, out: number, nIn: number, n: number, groupM: number): Uint8Array {
  if (!Number.isInteger(groupM) || groupM < 1) throw new RangeError(`N:M needs an integer M >= 1, got ${groupM}`);
  if (!Number.isInteger(n) || n < 0 || n > groupM)
    throw new RangeError(`N:M needs an integer 0 <= N <= M, got N=${n}, M=${groupM}`);
  const mask = new Uint8Array(out * nIn);
  const order = new Int32Array(groupM);
  for (let r = 0; r < out; r++) {
    for (let g0 = 0; g0 < nIn; g0 += groupM) {
      const size = Math.min(groupM, nIn - g0);
      const base = r * nIn + g0;
      if (n >= size) {
        mask.fill(1, base, base + size);
        continue;
      }
      // Groups are small: insertion-sort the group by score (desc), index (asc).
      for (let i = 0; i < size; i++) {
        let j = i;
        const v = scores[base + i];
        while (j > 0 && scores[base + order[j - 1]] < v) {
          order[j] = order[j - 1];
          j--;
        }
        order[j] = i;
      }
      for (let i = 0; i < n; i++) mask[base + order[i]] = 1;
    }
  }
  return mask;
}
