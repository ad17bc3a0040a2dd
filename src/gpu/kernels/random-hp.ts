// Deterministic random inputs for kernel tests and benchmarks: data, HP masks, and the (m, k)
// plan that reaches a requested sparsity. Pure TypeScript.
import { encodeHP, tileGrid, type HPMatrix } from '../../core/formats/hp';
import { planHP as planStaircase } from '../../core/pruning/hp-plan';
import { choose, randomArray, rng } from '../../core/random';

export { rng, randomArray, choose };

/** Random HP matrix: m random tiles per tile-row, k random columns per tile, random values
 *  (built straight in HP form: no dense out x in array, so 4096^2 stays cheap). */
export function randomHP(
  out: number,
  nIn: number,
  tr: number,
  tc: number,
  m: number,
  k: number,
  rand: () => number,
  scale = 1,
): HPMatrix {
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const tileCol = new Uint16Array(tileRows * m);
  const colOff = new Uint8Array(tileRows * m * k);
  for (let r = 0; r < tileRows; r++) {
    choose(tilesPerRow, m, rand).forEach((c, j) => (tileCol[r * m + j] = c));
    for (let j = 0; j < m; j++) choose(tc, k, rand).forEach((o, c) => (colOff[(r * m + j) * k + c] = o));
  }
  // encodeHP gathers from a dense W; for big shapes fill values directly with the same zeroing.
  if (out * nIn <= 1 << 22)
    return encodeHP(randomArray(out * nIn, rand, scale), { out, in: nIn, tr, tc, m, k }, tileCol, colOff);
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

/** (m, k) for a target sparsity and split: the same staircase rule the pruning uses
 *  (core/pruning/hp-plan), so a benchmark at "90%, split 0.5" is the app's configuration. */
export function planHP(out: number, nIn: number, tr: number, tc: number, sparsity: number, split: number): HPPlan {
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const { m, k } = planStaircase(tilesPerRow, tc, sparsity, split);
  const density = (m / tilesPerRow) * (k / tc);
  return { m, k, tilesPerRow, density, storedValues: tileRows * m * k * tr };
}
