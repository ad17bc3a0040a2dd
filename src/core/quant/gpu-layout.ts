// The integer codes as the WGSL int8 kernels read them (gpu/kernels/int8-*.wgsl): four int8
// codes per u32 word, little-endian (code j of a word in bits 8j..8j+7), rows padded with zero
// codes to whole groups of 32 codes (int8RowWords: the subgroup-matrix kernels read rows in
// 16-byte chunks and K in steps of 32). An HP matrix becomes, per tile-row, the dense Q x Tr
// block of its kept columns (Q = m*k, padded to a multiple of 4, or of 32): the input column of
// every kept column, and the codes four kept columns to a word, one word per output row of the
// tile-row, or (rowMajor) each output row's codes in a row (hpInt8Layout: the dot4 kernels and
// the subgroup-matrix kernel on X as columns), or the same kept columns cut into stages of whole
// kept tiles for the subgroup-matrix gather kernel (hpInt8StageLayout).
import { tileGrid, type HPCodes, type HPMatrix } from '../formats/hp';

/** Words of one packed row of `cols` int8 codes: whole groups of 32 codes (8 words). */
export function int8RowWords(cols: number): number {
  return Math.max(8, Math.ceil(cols / 32) * 8);
}

/** rows x cols int8 codes -> rows x int8RowWords(cols) words (zero codes past `cols`). */
export function packInt8Rows(codes: Int8Array, rows: number, cols: number): Uint32Array {
  if (codes.length !== rows * cols)
    throw new RangeError(`packInt8Rows: ${codes.length} codes, expected ${rows} x ${cols}`);
  const words = int8RowWords(cols);
  const out = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * words + (c >> 2)] |= (codes[r * cols + c] & 0xff) << (8 * (c & 3));
  }
  return out;
}

/** Sentinel input column of a padding kept column: its code is 0 and x is not read. */
export const NO_COLUMN = 0xffffffff;

export interface HPInt8Layout {
  tileRows: number;
  /** Kept columns per tile-row, padded to a multiple of `align` (4 unless asked). */
  qp: number;
  /** tileRows x qp input columns (NO_COLUMN for padding). */
  cols: Uint32Array;
  /** tileRows x (qp/4) x tr words: kept columns 4g..4g+3 of output row r of the tile-row;
   *  rowMajor: (tileRows * tr) rows x qp/4 words, each output row's kept-column codes in a row
   *  (the dense subgroup-matrix kernel's W layout, K = qp). */
  words: Uint32Array;
}

export interface HPInt8LayoutOptions {
  /** qp a multiple of this (a multiple of 4; default 4). */
  align?: number;
  rowMajor?: boolean;
}

export function hpInt8Layout(hp: HPMatrix, q: HPCodes, opts: HPInt8LayoutOptions = {}): HPInt8Layout {
  checkInt8Codes('hpInt8Layout', hp, q);
  const align = opts.align ?? 4;
  if (!Number.isInteger(align) || align < 4 || align % 4 !== 0)
    throw new RangeError(`hpInt8Layout: align must be a positive multiple of 4, got ${align}`);
  const { tr, tc, m, k } = hp;
  const { tileRows } = tileGrid(hp);
  const qn = m * k;
  const qp = Math.max(align, Math.ceil(qn / align) * align);
  const cols = new Uint32Array(tileRows * qp).fill(NO_COLUMN);
  const words = new Uint32Array(tileRows * (qp / 4) * tr);
  for (let tRow = 0; tRow < tileRows; tRow++) {
    for (let j = 0; j < m; j++) {
      const tile = tRow * m + j;
      for (let c = 0; c < k; c++) {
        const col = hp.tileCol[tile] * tc + hp.colOff[tile * k + c];
        const qi = j * k + c; // kept column index inside the tile-row
        // A column past `in` (ragged last tile) holds zeros: keep it as padding.
        if (col < hp.in) cols[tRow * qp + qi] = col;
        const shift = 8 * (qi & 3);
        for (let r = 0; r < tr; r++) {
          const code = col < hp.in ? q.codes[(tile * k + c) * tr + r] : 0;
          const w = opts.rowMajor ? (tRow * tr + r) * (qp / 4) + (qi >> 2) : (tRow * (qp / 4) + (qi >> 2)) * tr + r;
          words[w] |= (code & 0xff) << shift;
        }
      }
    }
  }
  return { tileRows, qp, cols, words };
}

/** The HP int8 codes cut for the subgroup-matrix kernel (int8-matrix.wgsl, HP): each tile-row's
 *  kept tiles in stages of `tilesPerStage` (the last one may hold fewer); a stage's kept columns
 *  fill `stageWidth` slots (a multiple of 32, one K step of the matrix multiply per 32; slots
 *  past them are padding, code 0). The kernel loads a stage's whole kept tiles of X (tc codes
 *  each, in 16-byte chunks) into workgroup memory, then gathers the kept columns from there. */
export interface HPInt8StageLayout {
  tileRows: number;
  tilesPerStage: number;
  stageWidth: number;
  /** Stages per tile-row (the same for every tile-row: m kept tiles each). */
  stages: number;
  /** Per tile-row, per stage, tilesPerStage + stageWidth / 4 words: the word offset in an X row
   *  of each of the stage's tiles (tileCol * tc / 4, NO_COLUMN past the last tile), then for
   *  each slot the byte of its kept column inside the stage's loaded tiles (slot tile * tc +
   *  column offset, < 255; NO_SLOT for padding), four slots a word (slot 4g + j in bits 8j..). */
  meta: Uint32Array;
  /** tileRows x tr rows x (stages * stageWidth / 4) words: output row r's codes at the slots. */
  words: Uint32Array;
}

/** Meta words of one stage. */
export function hpStageMetaWords(layout: Pick<HPInt8StageLayout, 'tilesPerStage' | 'stageWidth'>): number {
  return layout.tilesPerStage + layout.stageWidth / 4;
}

/** A padding slot's source byte in HPInt8StageLayout.meta. */
export const NO_SLOT = 0xff;

export function hpInt8StageLayout(hp: HPMatrix, q: HPCodes, tilesPerStage: number): HPInt8StageLayout {
  checkInt8Codes('hpInt8StageLayout', hp, q);
  if (!Number.isInteger(tilesPerStage) || tilesPerStage < 1)
    throw new RangeError(`hpInt8StageLayout: tilesPerStage must be a positive integer, got ${tilesPerStage}`);
  if (hp.tc % 16 !== 0) throw new RangeError(`hpInt8StageLayout: tc must be a multiple of 16, got ${hp.tc}`);
  if (tilesPerStage * hp.tc >= NO_SLOT)
    throw new RangeError(`hpInt8StageLayout: a stage's tiles must span < 255 codes, got ${tilesPerStage} x ${hp.tc}`);
  const { tr, tc, m, k } = hp;
  const { tileRows } = tileGrid(hp);
  const stageWidth = Math.max(32, Math.ceil((tilesPerStage * k) / 32) * 32);
  const stages = m * k === 0 ? 0 : Math.ceil(m / tilesPerStage);
  const metaWords = hpStageMetaWords({ tilesPerStage, stageWidth });
  const meta = new Uint32Array(tileRows * stages * metaWords);
  for (let i = 0; i < tileRows * stages; i++) {
    meta.fill(NO_COLUMN, i * metaWords, i * metaWords + tilesPerStage);
    meta.fill(0xffffffff, i * metaWords + tilesPerStage, (i + 1) * metaWords); // NO_SLOT x 4
  }
  const rowWords = (stages * stageWidth) / 4;
  const words = new Uint32Array(tileRows * tr * rowWords);
  for (let tRow = 0; tRow < tileRows; tRow++) {
    for (let s = 0; s < stages; s++) {
      const base = (tRow * stages + s) * metaWords;
      for (let jj = 0; jj < tilesPerStage; jj++) {
        const j = s * tilesPerStage + jj;
        if (j >= m) break;
        const tile = tRow * m + j;
        meta[base + jj] = (hp.tileCol[tile] * tc) / 4;
        for (let c = 0; c < k; c++) {
          const slot = jj * k + c;
          const at = base + tilesPerStage + (slot >> 2);
          const shift = 8 * (slot & 3);
          meta[at] = ((meta[at] & ~(0xff << shift)) | ((jj * tc + hp.colOff[tile * k + c]) << shift)) >>> 0;
          const col = hp.tileCol[tile] * tc + hp.colOff[tile * k + c];
          const code0 = s * stageWidth + slot; // code index in the output row
          for (let r = 0; r < tr; r++) {
            const code = col < hp.in ? q.codes[(tile * k + c) * tr + r] : 0;
            words[(tRow * tr + r) * rowWords + (code0 >> 2)] |= (code & 0xff) << (8 * (code0 & 3));
          }
        }
      }
    }
  }
  return { tileRows, tilesPerStage, stageWidth, stages, meta, words };
}

/** The int8 layouts take one int8 code per HP value. */
function checkInt8Codes(layout: string, hp: HPMatrix, q: HPCodes): void {
  if (q.bits !== 8) throw new RangeError(`${layout}: int8 codes needed, got int${q.bits}`);
  if (q.codes.length !== hp.values.length)
    throw new RangeError(`${layout}: ${q.codes.length} codes for ${hp.values.length} HP values`);
}
