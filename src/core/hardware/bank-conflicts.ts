// Bank conflicts of a vector-sparse design WITHOUT HP's banking: a tile-row keeps K columns
// anywhere in the row (vectors of Tr weights); an engine reads V kept columns per cycle from
// `banks` input banks (bank = column mod banks). Two kept columns in one bank serialise, so a
// group of V costs its largest bank load in cycles. HP avoids this: its V columns of one tile
// have distinct offsets mod Tc (README, Design). The expected cost is the "concurrent random access"
// problem the paper's abstract names; bank-balanced sparsity (Cao et al., FPGA'19) is the
// classic remedy.
import { rng } from '../random';

/** Cycles to read sorted kept columns V at a time: sum over groups of the max bank load. */
export function groupCycles(cols: ArrayLike<number>, V: number, banks: number): number {
  const load = new Int32Array(banks);
  let cycles = 0;
  for (let g = 0; g < cols.length; g += V) {
    load.fill(0);
    let max = 0;
    for (let i = g; i < Math.min(cols.length, g + V); i++) {
      const b = cols[i] % banks;
      if (++load[b] > max) max = load[b];
    }
    cycles += max;
  }
  return cycles;
}

export interface Moments {
  mean: number;
  variance: number;
}

const cache = new Map<string, Moments>();
const SAMPLES = 4000;

/** Mean and variance of the max bank load of n consecutive kept columns when columns are kept
 *  independently with probability d (gaps ~ Geometric(d)); integrated numerically with a fixed
 *  seed (deterministic), row boundaries ignored. */
export function groupLoadMoments(n: number, d: number, banks: number): Moments {
  if (n <= 1) return { mean: n, variance: 0 };
  if (d >= 1) return { mean: Math.ceil(n / banks), variance: 0 };
  const key = `${n}|${d.toFixed(6)}|${banks}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const random = rng(0x5eed ^ (n * 7919 + banks));
  const lq = Math.log1p(-d);
  const cols = new Int32Array(n);
  let sum = 0;
  let sum2 = 0;
  for (let s = 0; s < SAMPLES; s++) {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      cols[i] = pos;
      pos += 1 + Math.floor(Math.log(1 - random()) / lq); // Geometric(d) gap >= 1
    }
    const c = groupCycles(cols, n, banks);
    sum += c;
    sum2 += c * c;
  }
  const mean = sum / SAMPLES;
  const m: Moments = { mean, variance: Math.max(0, sum2 / SAMPLES - mean * mean) };
  cache.set(key, m);
  return m;
}

export function expectedGroupLoad(n: number, d: number, banks: number): number {
  return groupLoadMoments(n, d, banks).mean;
}

/** Cycles per (tile-row, token) with K kept columns of `inCols`, V per cycle: groups are
 *  treated as independent, so means and variances add. */
export function rowCycleMoments(keptCols: number, inCols: number, V: number, banks: number): Moments {
  const d = keptCols / inCols;
  const full = Math.floor(keptCols / V);
  const g = groupLoadMoments(V, d, banks);
  const rest = groupLoadMoments(keptCols % V, d, banks);
  return { mean: full * g.mean + rest.mean, variance: full * g.variance + rest.variance };
}

export function expectedRowCycles(keptCols: number, inCols: number, V: number, banks: number): number {
  return rowCycleMoments(keptCols, inCols, V, banks).mean;
}
