// The integer codes as the WGSL int8 kernels read them (gpu/kernels/int8-*.wgsl): four int8
// codes per u32 word, little-endian (code j of a word in bits 8j..8j+7), rows padded with zero
// codes to whole words. An HP matrix becomes, per tile-row, the dense Q x Tr block of its kept
// columns (Q = m*k, padded to a multiple of 4): the input column of every kept column, and the
// codes four kept columns to a word, one word per output row of the tile-row.
import { tileGrid, type HPCodes, type HPMatrix } from '../formats/hp';

/** rows x cols int8 codes -> rows x ceil(cols/4) words. */
export function packInt8Rows(codes: Int8Array, rows: number, cols: number): Uint32Array {
  if (codes.length !== rows * cols)
    throw new RangeError(`packInt8Rows: ${codes.length} codes, expected ${rows} x ${cols}`);
  const words = Math.ceil(cols / 4);
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
  /** Kept columns per tile-row, padded to a multiple of 4. */
  qp: number;
  /** tileRows x qp input columns (NO_COLUMN for padding). */
  cols: Uint32Array;
  /** tileRows x (qp/4) x tr words: kept columns 4g..4g+3 of output row r of the tile-row. */
  words: Uint32Array;
}

export function hpInt8Layout(hp: HPMatrix, q: HPCodes): HPInt8Layout {
  if (q.bits !== 8) throw new RangeError(`hpInt8Layout: int8 codes needed, got int${q.bits}`);
  if (q.codes.length !== hp.values.length)
    throw new RangeError(`hpInt8Layout: ${q.codes.length} codes for ${hp.values.length} HP values`);
  const { tr, tc, m, k } = hp;
  const { tileRows } = tileGrid(hp);
  const qn = m * k;
  const qp = Math.max(4, Math.ceil(qn / 4) * 4);
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
        const w = (tRow * (qp / 4) + (qi >> 2)) * tr;
        const shift = 8 * (qi & 3);
        for (let r = 0; r < tr; r++) {
          const code = col < hp.in ? q.codes[(tile * k + c) * tr + r] : 0;
          words[w + r] |= (code & 0xff) << shift;
        }
      }
    }
  }
  return { tileRows, qp, cols, words };
}
