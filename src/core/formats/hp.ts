// The HP (hierarchical pruning) storage format of the README's Design section, one module for the file, the
// workers and the WGSL kernels: they all share these arrays.
//
// W is out x in, cut into tiles of tr x tc (edge tiles padded with zeros). Every tile-row keeps
// m tiles (tileCol, sorted), every kept tile keeps k of its tc columns (colOff, sorted), and
// each kept column is a contiguous vector of tr values.

import { packF16Pairs } from './f16';

/** Value types of every format (dense, COO, CSR, BCSR, HP). */
export type ValueType = 'f32' | 'f16';
/** HP's value types: the float ones, and int8 codes with one f32 scale per output row. */
export type HPValueType = ValueType | 'int8';
export const HP_VALUE_TYPES: readonly HPValueType[] = ['f32', 'f16', 'int8'];

/** Integer codes of the HP values (core/quant): values[i] ≈ codes[i] * scales[row of i]. */
export interface HPCodes {
  bits: 8 | 16;
  /** Same layout as HPMatrix.values. */
  codes: Int8Array | Int16Array;
  /** One per output row. */
  scales: Float32Array;
}

export interface HPShape {
  out: number;
  in: number;
  tr: number;
  tc: number;
  /** Kept tiles per tile-row. */
  m: number;
  /** Kept columns per kept tile. */
  k: number;
}

export interface HPMatrix extends HPShape {
  /** tileRows * m tile-column indices, sorted within each tile-row. */
  tileCol: Uint16Array;
  /** tileRows * m * k column offsets inside the tile, sorted within each tile. */
  colOff: Uint8Array;
  /** Kept tile t (= tileRow * m + j), kept column c, row r: values[(t * k + c) * tr + r]. */
  values: Float32Array;
  /** The values' integer codes, when they were stored or loaded as int8 (values are then
   *  codes * scales, so both views agree). */
  quant?: HPCodes;
}

export interface TileGrid {
  tileRows: number;
  tilesPerRow: number;
}

export function tileGrid(s: Pick<HPShape, 'out' | 'in' | 'tr' | 'tc'>): TileGrid {
  return { tileRows: Math.ceil(s.out / s.tr), tilesPerRow: Math.ceil(s.in / s.tc) };
}

/** Fraction of the padded tile grid that is kept: (m / tilesPerRow) * (k / tc). */
/** 1 for each input column some kept column of `hp` is (the columns an HP linear reads). */
export function keptInputs(hp: HPMatrix): Uint8Array {
  const kept = new Uint8Array(hp.in);
  const { tileRows } = tileGrid(hp);
  for (let t = 0; t < tileRows * hp.m; t++)
    for (let c = 0; c < hp.k; c++) kept[hp.tileCol[t] * hp.tc + hp.colOff[t * hp.k + c]] = 1;
  return kept;
}

/** Each kept column's input index, tile-row by tile-row (tileRows x m*k, each tile-row's sorted):
 *  what the kernels on columns index X by. */
export function keptColumnIndices(hp: HPMatrix): Uint32Array {
  const cols = new Uint32Array(tileGrid(hp).tileRows * hp.m * hp.k);
  for (let e = 0; e < cols.length; e++) cols[e] = hp.tileCol[Math.floor(e / hp.k)] * hp.tc + hp.colOff[e];
  return cols;
}

export function hpDensity(s: HPShape): number {
  return (s.m / tileGrid(s).tilesPerRow) * (s.k / s.tc);
}

export function validateShape(s: HPShape): void {
  const { tilesPerRow } = tileGrid(s);
  const ok =
    [s.out, s.in, s.tr, s.tc].every((v) => Number.isInteger(v) && v > 0) &&
    Number.isInteger(s.m) &&
    s.m >= 0 &&
    s.m <= tilesPerRow &&
    Number.isInteger(s.k) &&
    s.k >= 0 &&
    s.k <= s.tc &&
    s.tc <= 256 &&
    tilesPerRow <= 65536;
  if (!ok) throw new RangeError(`invalid HP shape ${JSON.stringify(s)}`);
}

/** Gathers the kept values of a dense row-major W (out x in) into an HPMatrix. */
export function encodeHP(weight: Float32Array, shape: HPShape, tileCol: Uint16Array, colOff: Uint8Array): HPMatrix {
  validateShape(shape);
  const { out, in: nIn, tr, tc, m, k } = shape;
  const { tileRows } = tileGrid(shape);
  if (weight.length !== out * nIn) throw new RangeError(`weight has ${weight.length} values, expected ${out * nIn}`);
  if (tileCol.length !== tileRows * m)
    throw new RangeError(`tileCol has ${tileCol.length} entries, expected ${tileRows * m}`);
  if (colOff.length !== tileRows * m * k)
    throw new RangeError(`colOff has ${colOff.length} entries, expected ${tileRows * m * k}`);
  const values = new Float32Array(tileRows * m * k * tr);
  for (let tRow = 0; tRow < tileRows; tRow++) {
    for (let j = 0; j < m; j++) {
      const t = tRow * m + j;
      const colBase = tileCol[t] * tc;
      for (let c = 0; c < k; c++) {
        const col = colBase + colOff[t * k + c];
        if (col >= nIn) continue; // padding column of a ragged edge tile: stays zero
        const dst = (t * k + c) * tr;
        for (let r = 0; r < tr; r++) {
          const row = tRow * tr + r;
          if (row < out) values[dst + r] = weight[row * nIn + col];
        }
      }
    }
  }
  return { ...shape, tileCol, colOff, values };
}

/** Visits every stored value with its (row, col) in W and its index in `values`; padding
 *  positions are skipped. */
export function forEachKept(
  hp: HPMatrix,
  visit: (row: number, col: number, value: number, index: number) => void,
): void {
  const { out, in: nIn, tr, tc, m, k } = hp;
  const { tileRows } = tileGrid(hp);
  for (let tRow = 0; tRow < tileRows; tRow++) {
    for (let j = 0; j < m; j++) {
      const t = tRow * m + j;
      for (let c = 0; c < k; c++) {
        const col = hp.tileCol[t] * tc + hp.colOff[t * k + c];
        if (col >= nIn) continue;
        for (let r = 0; r < tr; r++) {
          const row = tRow * tr + r;
          const index = (t * k + c) * tr + r;
          if (row < out) visit(row, col, hp.values[index], index);
        }
      }
    }
  }
}

/** Dense row-major W with zeros where pruned. */
export function decodeHP(hp: HPMatrix): Float32Array {
  const w = new Float32Array(hp.out * hp.in);
  forEachKept(hp, (row, col, v) => (w[row * hp.in + col] = v));
  return w;
}

/** 1 where HP keeps a weight, 0 elsewhere (out x in). */
export function hpMask(hp: HPMatrix): Uint8Array {
  const mask = new Uint8Array(hp.out * hp.in);
  forEachKept(hp, (row, col) => (mask[row * hp.in + col] = 1));
  return mask;
}

/** Header fields stored before the arrays: out, in, tr, tc, m, k as u32 and the value type. */
export const HP_HEADER_BYTES = 7 * 4;

/** Bytes of one HP matrix as stored (header, u16 tileCol, u8 colOff, values; int8: then one
 *  f32 scale per output row), unpadded. */
export function hpBytes(s: HPShape, valueType: HPValueType): number {
  const { tileRows } = tileGrid(s);
  const kept = tileRows * s.m;
  const values = kept * s.k * s.tr;
  const valueBytes = valueType === 'int8' ? values + 4 * s.out : values * (valueType === 'f16' ? 2 : 4);
  return HP_HEADER_BYTES + kept * 2 + kept * s.k + valueBytes;
}

/** The GPU storage buffers: the same arrays, u16/u8 packed little-endian into u32 words. */
export interface HPGpuBuffers {
  /** [out, in, tr, tc, m, k, tileRows, tilesPerRow] */
  header: Uint32Array;
  /** Two tile-column indices per word: entry i in bits 16*(i%2). */
  tileCol: Uint32Array;
  /** Four column offsets per word: entry i in bits 8*(i%4). */
  colOff: Uint32Array;
  /** f32 values, or (valueType 'f16') their f16 bits two per word. */
  values: Float32Array | Uint32Array;
}

export function packHPForGPU(hp: HPMatrix, valueType: ValueType = 'f32'): HPGpuBuffers {
  const { tileRows, tilesPerRow } = tileGrid(hp);
  const header = Uint32Array.of(hp.out, hp.in, hp.tr, hp.tc, hp.m, hp.k, tileRows, tilesPerRow);
  // At least one word each: WebGPU rejects zero-sized bindings.
  const tileCol = new Uint32Array(Math.max(1, Math.ceil(hp.tileCol.length / 2)));
  new Uint16Array(tileCol.buffer).set(hp.tileCol);
  const colOff = new Uint32Array(Math.max(1, Math.ceil(hp.colOff.length / 4)));
  new Uint8Array(colOff.buffer).set(hp.colOff);
  const values = valueType === 'f16' ? packF16Pairs(hp.values) : hp.values.length > 0 ? hp.values : new Float32Array(1);
  return { header, tileCol, colOff, values };
}
