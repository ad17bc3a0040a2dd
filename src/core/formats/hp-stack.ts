// Several HP matrices with the same input as one taller HP matrix (the engine's fused Q/K/V
// linear): each is padded to whole tile-rows, so its tiles keep their columns and the stacked
// matrix computes exactly the rows of the parts, part i starting at row i * blockRows.
import { tileGrid, validateShape, type HPMatrix } from './hp';

export interface StackedHP {
  hp: HPMatrix;
  /** Rows of each part's block: its out rounded up to whole tile-rows (the padding rows are 0). */
  blockRows: number;
}

/** Null when the parts cannot share a grid (different in, tile, or m/k per tile-row). `padRows`
 *  zero rows follow the last block (whole zero tile-rows where they need new ones), so a row of
 *  the stacked output is blockRows * parts + padRows floats (the engine's Q/K/V row pitch). */
export function stackHPRows(parts: HPMatrix[], padRows = 0): StackedHP | null {
  if (parts.length === 0) return null;
  const [first] = parts;
  const same = parts.every(
    (p) =>
      p.out === first.out &&
      p.in === first.in &&
      p.tr === first.tr &&
      p.tc === first.tc &&
      p.m === first.m &&
      p.k === first.k,
  );
  if (!same || !Number.isInteger(padRows) || padRows < 0) return null;
  const blockRows = tileGrid(first).tileRows * first.tr;
  // Zero tile-rows for the padding: the first part's first tile-row's tiles and columns, zero values.
  const extra = Math.ceil(padRows / first.tr);
  const pad: HPMatrix = {
    ...first,
    out: extra * first.tr,
    tileCol: repeat(first.tileCol.subarray(0, first.m), extra, (n) => new Uint16Array(n)),
    colOff: repeat(first.colOff.subarray(0, first.m * first.k), extra, (n) => new Uint8Array(n)),
    values: new Float32Array(extra * first.m * first.k * first.tr),
  };
  const all = extra > 0 ? [...parts, pad] : parts;
  const cat = <T extends Uint16Array | Uint8Array | Float32Array>(
    make: (n: number) => T,
    pick: (p: HPMatrix) => T,
  ): T => {
    const out = make(all.reduce((n, p) => n + pick(p).length, 0));
    let o = 0;
    for (const p of all) {
      out.set(pick(p), o);
      o += pick(p).length;
    }
    return out;
  };
  const hp: HPMatrix = {
    out: blockRows * parts.length + padRows,
    in: first.in,
    tr: first.tr,
    tc: first.tc,
    m: first.m,
    k: first.k,
    tileCol: cat(
      (n) => new Uint16Array(n),
      (p) => p.tileCol,
    ),
    colOff: cat(
      (n) => new Uint8Array(n),
      (p) => p.colOff,
    ),
    values: cat(
      (n) => new Float32Array(n),
      (p) => p.values,
    ),
  };
  validateShape(hp);
  return { hp, blockRows };
}

function repeat<T extends Uint16Array | Uint8Array>(a: T, times: number, make: (n: number) => T): T {
  const r = make(a.length * times);
  for (let i = 0; i < times; i++) r.set(a, i * a.length);
  return r;
}

/** Biases of the parts at their block offsets (zeros in the padding rows, and `padRows` after). */
export function stackBias(
  parts: (Float32Array | undefined)[],
  out: number,
  blockRows: number,
  padRows = 0,
): Float32Array {
  const b = new Float32Array(blockRows * parts.length + padRows);
  parts.forEach((p, i) => {
    if (p) b.set(p.subarray(0, out), i * blockRows);
  });
  return b;
}
