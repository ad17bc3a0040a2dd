// The column view of a fixed HP mask, for the input gradient dX = dY·W: per input column, the
// indices (into HPMatrix.values) of its stored weights. Built once per mask; the values move
// during training, the indices do not. Also: a dense layer as an HP matrix that keeps every
// tile and column, so dense and pruned layers train through the same kernels.
import { encodeHP, forEachKept, type HPMatrix } from '../formats/hp';
import type { Linear } from '../model/bert-types';

export interface HPColumns {
  /** in + 1 offsets into `entries`. */
  colStart: Uint32Array;
  /** Value indices, grouped by column (ascending within a column). */
  entries: Uint32Array;
}

export function hpColumns(hp: HPMatrix): HPColumns {
  const nIn = hp.in;
  const count = new Uint32Array(nIn + 1);
  forEachKept(hp, (_row, col) => count[col + 1]++);
  for (let i = 0; i < nIn; i++) count[i + 1] += count[i];
  const colStart = count.slice();
  const fill = count.slice(0, nIn);
  const entries = new Uint32Array(colStart[nIn]);
  forEachKept(hp, (_row, col, _value, index) => (entries[fill[col]++] = index));
  return { colStart, entries };
}

/** Largest divisor of n that is at most cap. */
function divisorAtMost(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** A dense W as an HP matrix keeping everything, with tiles that divide it (no padding). */
export function denseAsHP(l: Pick<Linear, 'out' | 'in' | 'weight'>): HPMatrix {
  const tr = divisorAtMost(l.out, 32);
  const tc = divisorAtMost(l.in, 64);
  const m = l.in / tc;
  const tileRows = l.out / tr;
  const tileCol = new Uint16Array(tileRows * m).map((_, i) => i % m);
  const colOff = new Uint8Array(tileRows * m * tc).map((_, i) => i % tc);
  return encodeHP(l.weight, { out: l.out, in: l.in, tr, tc, m, k: tc }, tileCol, colOff);
}
