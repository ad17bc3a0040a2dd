// The integer codes as the WGSL int8 kernels read them (gpu/kernels/int8-*.wgsl): four int8
// codes per u32 word, little-endian (code j of a word in bits 8j..8j+7), rows padded with zero
// codes to whole groups of 32 codes (int8RowWords: the subgroup-matrix kernels read rows in
// 16-byte chunks and K in steps of 32). An HP matrix becomes, per tile-row, the dense Q x Tr
// block of its kept columns (Q = m*k, padded to a multiple of 4, or of 32): the input column of
// every kept column, and the codes four kept columns to a word, one word per output row of the
// tile-row, or (rowMajor) each output row's codes in a row (hpInt8Layout: the dot4 kernels and
// the subgroup-matrix kernel on X as columns).
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

/** The int8 layouts take one int8 code per HP value. */
function checkInt8Codes(layout: string, hp: HPMatrix, q: HPCodes): void {
  if (q.bits !== 8) throw new RangeError(`${layout}: int8 codes needed, got int${q.bits}`);
  if (q.codes.length !== hp.values.length)
    throw new RangeError(`${layout}: ${q.codes.length} codes for ${hp.values.length} HP values`);
}

/** The 'read' scale's column mask as the int8 quantizers read it (int8-scale.wgsl readLanes): byte
 *  0xff for each column read, four columns a word, `words` words (zeros past the columns). */
export function readMaskWords(read: Uint8Array, words = Math.ceil(read.length / 4)): Uint32Array {
  const out = new Uint32Array(Math.max(words, Math.ceil(read.length / 4)));
  read.forEach((r, c) => {
    if (r) out[c >> 2] |= 0xff << (8 * (c & 3));
  });
  return out;
}
