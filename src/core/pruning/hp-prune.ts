// Hierarchical pruning of one matrix (README, Design): tile level, then vector level.
//
// Tile level: in every tile-row keep the m tiles of highest tile score (sum of element scores).
// Vector level: in every kept tile keep the k columns of highest column-vector score (sum of
// the column's Tr element scores inside that tile). A column's score does not depend on which
// tiles are kept and a tile's score does not depend on k, and both selections are stable
// top-by-score (ties: lower index first), so masks are nested in m and in k.
import { encodeHP, tileGrid, type HPMatrix, type HPShape } from '../formats/hp';
import { topKSorted } from './select';

export interface HPScores {
  tileRows: number;
  tilesPerRow: number;
  /** [tileRow][paddedCol]: sum over the tile-row's rows; padding columns are -Infinity. */
  colScore: Float64Array;
  /** [tileRow][tile]: sum of the tile's real column scores. */
  tileScore: Float64Array;
}

export function hpScores(scores: Float32Array, out: number, nIn: number, tr: number, tc: number): HPScores {
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const width = tilesPerRow * tc;
  const colScore = new Float64Array(tileRows * width);
  for (let row = 0; row < out; row++) {
    const base = Math.floor(row / tr) * width;
    const src = row * nIn;
    for (let c = 0; c < nIn; c++) colScore[base + c] += scores[src + c];
  }
  const tileScore = new Float64Array(tileRows * tilesPerRow);
  for (let t = 0; t < tileRows; t++) {
    for (let c = nIn; c < width; c++) colScore[t * width + c] = -Infinity; // never beats a real column
    for (let j = 0; j < tilesPerRow; j++) {
      let sum = 0;
      const end = Math.min(tc, nIn - j * tc);
      for (let c = 0; c < end; c++) sum += colScore[t * width + j * tc + c];
      tileScore[t * tilesPerRow + j] = sum;
    }
  }
  return { tileRows, tilesPerRow, colScore, tileScore };
}

export interface HPSelection {
  hp: HPMatrix;
  mask: Uint8Array;
  kept: number;
}

/** Selects m tiles per tile-row and k columns per kept tile, encodes the HPMatrix and its mask. */
export function pruneHP(weight: Float32Array, scores: Float32Array, shape: HPShape, pre?: HPScores): HPSelection {
  const { out, in: nIn, tr, tc, m, k } = shape;
  const s = pre ?? hpScores(scores, out, nIn, tr, tc);
  const { tileRows, tilesPerRow, colScore, tileScore } = s;
  const width = tilesPerRow * tc;
  const tileCol = new Uint16Array(tileRows * m);
  const colOff = new Uint8Array(tileRows * m * k);
  for (let t = 0; t < tileRows; t++) {
    const tiles = topKSorted(tileScore, t * tilesPerRow, tilesPerRow, m);
    for (let j = 0; j < m; j++) {
      const kept = t * m + j;
      tileCol[kept] = tiles[j];
      const cols = topKSorted(colScore, t * width + tiles[j] * tc, tc, k);
      colOff.set(cols, kept * k);
    }
  }
  const hp = encodeHP(weight, shape, tileCol, colOff);
  // The mask straight from the selection (hpMask visits per element through a callback).
  const mask = new Uint8Array(out * nIn);
  let kept = 0;
  for (let t = 0; t < tileRows; t++) {
    const rowEnd = Math.min(out, (t + 1) * tr);
    for (let j = 0; j < m; j++) {
      const base = tileCol[t * m + j] * tc;
      for (let c = 0; c < k; c++) {
        const col = base + colOff[(t * m + j) * k + c];
        if (col >= nIn) continue;
        for (let row = t * tr; row < rowEnd; row++) mask[row * nIn + col] = 1;
        kept += rowEnd - t * tr;
      }
    }
  }
  return { hp, mask, kept };
}
