// Bytes of one pruned matrix in every format, from its mask (what a format must store), and
// the compression ratio against dense f32. HP only exists for HP-structured masks.
import { hpBytes, type HPShape, type ValueType } from './hp';
import { bcsrBytes, cooBytes, csrBytes, denseBytes } from './sparse';

export const FORMATS = ['dense', 'coo', 'csr', 'bcsr', 'hp'] as const;
export type FormatName = (typeof FORMATS)[number];

export type StorageSizes = Record<FormatName, number | null>;

export interface SizeInput {
  out: number;
  in: number;
  mask: Uint8Array;
  /** BCSR block (the pruning tile, so BCSR and HP compare on the same grid). */
  block: { br: number; bc: number };
  /** Present when the mask is HP-structured. */
  hp?: HPShape;
}

export function storageSizes(s: SizeInput, t: ValueType): StorageSizes {
  let nnz = 0;
  for (let i = 0; i < s.mask.length; i++) nnz += s.mask[i];
  return {
    dense: denseBytes(s.out, s.in, t),
    coo: cooBytes(s.out, s.in, nnz, t),
    csr: csrBytes(s.out, s.in, nnz, t),
    bcsr: bcsrBytes(s.out, s.in, s.block.br, s.block.bc, maskBlocks(s.mask, s.out, s.in, s.block.br, s.block.bc), t),
    hp: s.hp ? hpBytes(s.hp, t) : null,
  };
}

/** Sums per-format sizes (null stays null if any matrix lacks that format). */
export function sumSizes(all: StorageSizes[]): StorageSizes {
  const total = Object.fromEntries(FORMATS.map((f) => [f, 0])) as StorageSizes;
  for (const s of all)
    for (const f of FORMATS) total[f] = total[f] === null || s[f] === null ? null : total[f]! + s[f]!;
  return total;
}

/** Dense f32 bytes over each format's bytes. */
export function compressionRatios(sizes: StorageSizes, denseF32: number): Record<FormatName, number | null> {
  return Object.fromEntries(FORMATS.map((f) => [f, sizes[f] ? denseF32 / sizes[f]! : null])) as Record<
    FormatName,
    number | null
  >;
}

/** br x bc blocks (zero-padded grid) holding at least one kept weight. */
export function maskBlocks(mask: Uint8Array, out: number, nIn: number, br: number, bc: number): number {
  if (mask.length !== out * nIn) throw new RangeError(`mask has ${mask.length} entries, expected ${out} x ${nIn}`);
  const perRow = Math.ceil(nIn / bc);
  const used = new Uint8Array(Math.ceil(out / br) * perRow);
  for (let row = 0; row < out; row++) {
    const base = Math.floor(row / br) * perRow;
    for (let col = 0; col < nIn; col++) if (mask[row * nIn + col]) used[base + Math.floor(col / bc)] = 1;
  }
  let blocks = 0;
  for (let i = 0; i < used.length; i++) blocks += used[i];
  return blocks;
}
