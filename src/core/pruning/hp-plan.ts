// How (sparsity, split) becomes the two integer HP ratios (m of tilesPerRow, k of tc).
//
// The continuous target for density d = 1 - sparsity is tile keep ratio d^split and vector keep
// ratio d^(1 - split) (split = share of -ln d taken by the tile level). Integers make that
// inexact, and rounding m and k independently both misses the density (by up to half a tile
// and half a column) and can make k grow when m drops, which breaks mask nesting. Instead we
// walk one staircase from (tilesPerRow, tc) down to (0, 0), one decrement of m or k per step,
// each step taking the decrement that keeps -ln(m/T) closest to split * -ln(density); a target
// density then picks the staircase point of nearest density (the denser one on a tie). Along
// the staircase m and k never grow, so for a fixed split the HP masks are nested as sparsity
// grows, and the density steps are one column (m / (T tc)) or one tile (k / (T tc)) fine.

export interface HPPlan {
  m: number;
  k: number;
  tilesPerRow: number;
  tc: number;
  /** m * k / (tilesPerRow * tc): density over the zero-padded tile grid. */
  gridDensity: number;
}

/** The staircase of (m, k) pairs, densest first, ending at density 0. */
export function hpStaircase(tilesPerRow: number, tc: number, split: number): Array<[number, number]> {
  checkInt(tilesPerRow, 'tilesPerRow');
  checkInt(tc, 'tc');
  if (!(split >= 0 && split <= 1)) throw new RangeError(`split must be in [0, 1], got ${split}`);
  const T = tilesPerRow;
  const path: Array<[number, number]> = [[T, tc]];
  let m = T;
  let k = tc;
  if (split === 1) {
    while (m > 0) path.push([--m, k]); // tile level only: k stays tc
    return path;
  }
  if (split === 0) {
    while (k > 0) path.push([m, --k]); // vector level only: m stays T
    return path;
  }
  // Error of a point: how far the tile level's share of -ln(density) is from split.
  const err = (mm: number, kk: number) => {
    const u = -Math.log(mm / T);
    const v = -Math.log(kk / tc);
    return Math.abs(u - split * (u + v));
  };
  while (m > 1 || k > 1) {
    const dropTile = m > 1 ? err(m - 1, k) : Infinity;
    const dropCol = k > 1 ? err(m, k - 1) : Infinity;
    if (dropTile < dropCol) m--;
    else k--;
    path.push([m, k]);
  }
  path.push([0, 0]);
  return path;
}

/** The (m, k) for a target sparsity and split: nearest-density point of the staircase. Below
 *  100% sparsity the empty point (m or k = 0) is never chosen: a coarse grid (say Tc = 8 at 95%)
 *  must not silently delete the whole matrix. */
export function planHP(tilesPerRow: number, tc: number, sparsity: number, split: number): HPPlan {
  checkSparsity(sparsity);
  const target = 1 - sparsity;
  const full = tilesPerRow * tc;
  let best: [number, number] = [tilesPerRow, tc];
  let bestGap = Infinity;
  for (const [m, k] of hpStaircase(tilesPerRow, tc, split)) {
    if (m * k === 0 && target > 0) continue;
    const gap = Math.abs((m * k) / full - target);
    if (gap < bestGap - 1e-12) {
      best = [m, k];
      bestGap = gap;
    }
  }
  return { m: best[0], k: best[1], tilesPerRow, tc, gridDensity: (best[0] * best[1]) / full };
}

/** Both ratios set directly: m = round(T * tileKeep), k = round(tc * vectorKeep). */
export function planHPDirect(tilesPerRow: number, tc: number, tileKeep: number, vectorKeep: number): HPPlan {
  for (const [name, v] of [
    ['tile keep', tileKeep],
    ['vector keep', vectorKeep],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} ratio must be in [0, 1], got ${v}`);
  }
  const m = Math.round(tilesPerRow * tileKeep);
  const k = Math.round(tc * vectorKeep);
  return { m, k, tilesPerRow, tc, gridDensity: (m * k) / (tilesPerRow * tc) };
}

export function checkSparsity(s: number): void {
  if (!(s >= 0 && s <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${s}`);
}

function checkInt(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}
