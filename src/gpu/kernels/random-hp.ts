// Deterministic random inputs for kernel tests and benchmarks: data, HP masks, and the (m, k)
// plan that reaches a requested sparsity. Pure TypeScript.
import { encodeHP, tileGrid, type HPMatrix } from '../../core/formats/hp';

/** mulberry32: reproducible failures. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

/** k of n distinct values, sorted. */
function choose(n: number, k: number, rand: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k).sort((a, b) => a - b);
}

/** Random HP matrix: m random tiles per tile-row, k random columns per tile, random values
 *  (built straight in HP form: no dense out x in array, so 4096^2 stays cheap). */
export function randomHP(out: number, nIn: number, tr: number, tc: number, m: number, k: number, rand: () => number, scale = 1): HPMatrix {
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const tileCol = new Uint16Array(tileRows * m);
  const colOff = new Uint8Array(tileRows * m * k);
  for (let r = 0; r < tileRows; r++) {
    choose(tilesPerRow, m, rand).forEach((c, j) => (tileCol[r * m + j] = c));
    for (let j = 0; j < m; j++) choose(tc, k, rand).forEach((o, c) => (colOff[(r * m + j) * k + c] = o));
  }
  // encodeHP gathers from a dense W; for big shapes fill values directly with the same zeroing.
  if (out * nIn <= 1 << 22) return encodeHP(randomArray(out * nIn, rand, scale), { out, in: nIn, tr, tc, m, k }, tileCol, colOff);
  const values = new Float32Array(tileRows * m * k * tr);
  for (let t = 0; t < tileRows * m; t++) {
    for (let c = 0; c < k; c++) {
      const col = tileCol[t] * tc + colOff[t * k + c];
      for (let r = 0; r < tr; r++) {
        const row = Math.floor(t / m) * tr + r;
        values[(t * k + c) * tr + r] = col < nIn && row < out ? (rand() * 2 - 1) * scale : 0;
      }
    }
  }
  return { out, in: nIn, tr, tc, m, k, tileCol, colOff, values };
}

export interface HPPlan {
  m: number;
  k: number;
  tilesPerRow: number;
  /** (m / tilesPerRow) * (k / tc) */
  density: number;
  /** Values stored (padding included): tileRows * m * k * tr. */
  storedValues: number;
}

/** (m, k) for a target sparsity; `split` in [0, 1] is the share of the pruning at tile level in
 *  log terms (tiles kept ≈ d^split, columns kept ≈ d^(1-split)), k first, then m to match d. */
export function planHP(out: number, nIn: number, tr: number, tc: number, sparsity: number, split: number): HPPlan {
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const d = 1 - sparsity;
  let m = 0, k = 0;
  if (d > 0) {
    k = Math.min(tc, Math.max(1, Math.round(tc * Math.pow(d, 1 - split))));
    m = Math.min(tilesPerRow, Math.max(1, Math.round((d * tilesPerRow * tc) / k)));
  }
  const density = (m / tilesPerRow) * (k / tc);
  return { m, k, tilesPerRow, density, storedValues: tileRows * m * k * tr };
}
