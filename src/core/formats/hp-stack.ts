// Several HP matrices with the same input as one taller HP matrix (the engine's fused Q/K/V
// linear): each is padded to whole tile-rows, so its tiles keep their columns and the stacked
// matrix computes exactly the rows of the parts, part i starting at row i * blockRows.
import { tileGrid, validateShape, type HPMatrix } from './hp';

export interface StackedHP {
  hp: HPMatrix;
  /** Rows of each part's block: its out rounded up to whole tile-rows (the padding rows are 0). */
  blockRows: number;
}

/** Null when the parts cannot share a grid (different in, tile, or m/k per tile-row). */
export function stackHPRows(parts: HPMatrix[]): StackedHP | null {
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
  if (!same) return null;
  const blockRows = tileGrid(first).tileRows * first.tr;
  const cat = <T extends Uint16Array | Uint8Array | Float32Array>(
    make: (n: number) => T,
    pick: (p: HPMatrix) => T,
  ): T => {
    const out = make(parts.reduce((n, p) => n + pick(p).length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(pick(p), o);
      o += pick(p).length;
    }
    return out;
  };
  const hp: HPMatrix = {
    out: blockRows * parts.length,
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

/** Biases of the parts at their block offsets (zeros in the padding rows). */
export function stackBias(parts: (Float32Array | undefined)[], out: number, blockRows: number): Float32Array {
  const b = new Float32Array(blockRows * parts.length);
  parts.forEach((p, i) => {
    if (p) b.set(p.subarray(0, out), i * blockRows);
  });
  return b;
}
