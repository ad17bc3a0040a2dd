// Dense, COO, CSR and BCSR: encode from a dense row-major W (out x in), decode back, serialize,
// and count bytes. Every byte formula below is the exact length of the serialized layout.
//
// What is stored: the positions where `mask` is 1, or, without a mask, the nonzero values
// (so a -0 weight decodes to +0). Index widths (fair to the baselines, all little-endian):
//   COO   header u32 x4 (out, in, nnz, value type); row u16 if out <= 65536 else u32; col u16 if
//         in <= 65536 else u32; values.
//   CSR   header u32 x4; rowPtr u32 x (out + 1) (u32 because nnz passes 65535 already at
//         312 x 1200); colIdx u16 if in <= 65536 else u32; values.
//   BCSR  header u32 x6 (out, in, br, bc, blocks, value type); blockRowPtr u32 x (blockRows + 1);
//         blockCol u16 if blocksPerRow <= 65536 else u32; every stored block as br x bc values
//         (row-major inside the block; edge blocks zero-padded). A block is stored if it holds
//         any kept weight.
//   Dense header u32 x3 (out, in, value type); out x in values.
import { ByteReader, ByteWriter, FormatError, indexBytes, VALUE_TYPE_CODE, valueBytes, valueTypeOf } from './byte-io';
import type { ValueType } from './hp';

export interface COOMatrix {
  out: number;
  in: number;
  rows: Uint32Array;
  cols: Uint32Array;
  values: Float32Array;
}
export interface CSRMatrix {
  out: number;
  in: number;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}
export interface BCSRMatrix {
  out: number;
  in: number;
  br: number;
  bc: number;
  blockRowPtr: Uint32Array;
  blockCol: Uint32Array;
  values: Float32Array;
}

const kept = (w: Float32Array, mask: Uint8Array | undefined, i: number) => (mask ? mask[i] === 1 : w[i] !== 0);

function check(w: Float32Array, out: number, nIn: number, mask?: Uint8Array): void {
  if (!(Number.isInteger(out) && out > 0 && Number.isInteger(nIn) && nIn > 0))
    throw new RangeError(`bad shape ${out} x ${nIn}`);
  if (w.length !== out * nIn) throw new RangeError(`weight has ${w.length} values, expected ${out} x ${nIn}`);
  if (mask && mask.length !== w.length) throw new RangeError(`mask has ${mask.length} entries, expected ${w.length}`);
}

// ---- byte formulas ----
export const denseBytes = (out: number, nIn: number, t: ValueType) => 12 + out * nIn * valueBytes(t);
export const cooBytes = (out: number, nIn: number, nnz: number, t: ValueType) =>
  16 + nnz * (indexBytes(out) + indexBytes(nIn) + valueBytes(t));
export const csrBytes = (out: number, nIn: number, nnz: number, t: ValueType) =>
  16 + (out + 1) * 4 + nnz * (indexBytes(nIn) + valueBytes(t));
export function bcsrBytes(out: number, nIn: number, br: number, bc: number, blocks: number, t: ValueType): number {
  const blockRows = Math.ceil(out / br);
  return 24 + (blockRows + 1) * 4 + blocks * (indexBytes(Math.ceil(nIn / bc)) + br * bc * valueBytes(t));
}

// ---- dense ----
export function serializeDense(w: Float32Array, out: number, nIn: number, t: ValueType): Uint8Array {
  check(w, out, nIn);
  const b = new ByteWriter(denseBytes(out, nIn, t));
  b.u32(out);
  b.u32(nIn);
  b.u32(VALUE_TYPE_CODE[t]);
  b.values(w, t);
  return b.finish('dense');
}
export function deserializeDense(bytes: Uint8Array): { out: number; in: number; weight: Float32Array } {
  const r = new ByteReader(bytes, 0, 'dense matrix');
  const out = r.u32(),
    nIn = r.u32(),
    t = valueTypeOf(r.u32());
  return { out, in: nIn, weight: r.values(out * nIn, t) };
}

// ---- COO ----
export function encodeCOO(w: Float32Array, out: number, nIn: number, mask?: Uint8Array): COOMatrix {
  check(w, out, nIn, mask);
  const rows: number[] = [],
    cols: number[] = [],
    values: number[] = [];
  for (let i = 0; i < w.length; i++) {
    if (!kept(w, mask, i)) continue;
    rows.push(Math.floor(i / nIn));
    cols.push(i % nIn);
    values.push(w[i]);
  }
  return {
    out,
    in: nIn,
    rows: Uint32Array.from(rows),
    cols: Uint32Array.from(cols),
    values: Float32Array.from(values),
  };
}
export function decodeCOO(c: COOMatrix): Float32Array {
  const w = new Float32Array(c.out * c.in);
  for (let i = 0; i < c.values.length; i++) w[c.rows[i] * c.in + c.cols[i]] = c.values[i];
  return w;
}
/** The header COO and CSR files start with: out, in, nnz, value type (u32 each). */
function writeNnzHeader(b: ByteWriter, c: { out: number; in: number; values: Float32Array }, t: ValueType): void {
  b.u32(c.out);
  b.u32(c.in);
  b.u32(c.values.length);
  b.u32(VALUE_TYPE_CODE[t]);
}
function readNnzHeader(r: ByteReader): { out: number; nIn: number; nnz: number; t: ValueType } {
  const out = r.u32(),
    nIn = r.u32(),
    nnz = r.u32();
  return { out, nIn, nnz, t: valueTypeOf(r.u32()) };
}

export function serializeCOO(c: COOMatrix, t: ValueType): Uint8Array {
  const b = new ByteWriter(cooBytes(c.out, c.in, c.values.length, t));
  writeNnzHeader(b, c, t);
  b.indices(c.rows, c.out);
  b.indices(c.cols, c.in);
  b.values(c.values, t);
  return b.finish('COO');
}
export function deserializeCOO(bytes: Uint8Array): COOMatrix {
  const r = new ByteReader(bytes, 0, 'COO matrix');
  const { out, nIn, nnz, t } = readNnzHeader(r);
  const rows = r.indices(nnz, out),
    cols = r.indices(nnz, nIn);
  for (let i = 0; i < nnz; i++)
    if (rows[i] >= out || cols[i] >= nIn)
      throw new FormatError(`COO entry ${i} at (${rows[i]}, ${cols[i]}) is outside ${out} x ${nIn}`);
  return { out, in: nIn, rows, cols, values: r.values(nnz, t) };
}

// ---- CSR ----
export function encodeCSR(w: Float32Array, out: number, nIn: number, mask?: Uint8Array): CSRMatrix {
  const coo = encodeCOO(w, out, nIn, mask); // row-major order is CSR order
  const rowPtr = new Uint32Array(out + 1);
  for (let i = 0; i < coo.rows.length; i++) rowPtr[coo.rows[i] + 1]++;
  for (let r = 0; r < out; r++) rowPtr[r + 1] += rowPtr[r];
  return { out, in: nIn, rowPtr, colIdx: coo.cols, values: coo.values };
}
export function decodeCSR(c: CSRMatrix): Float32Array {
  const w = new Float32Array(c.out * c.in);
  for (let r = 0; r < c.out; r++)
    for (let i = c.rowPtr[r]; i < c.rowPtr[r + 1]; i++) w[r * c.in + c.colIdx[i]] = c.values[i];
  return w;
}
export function serializeCSR(c: CSRMatrix, t: ValueType): Uint8Array {
  const b = new ByteWriter(csrBytes(c.out, c.in, c.values.length, t));
  writeNnzHeader(b, c, t);
  b.u32s(c.rowPtr);
  b.indices(c.colIdx, c.in);
  b.values(c.values, t);
  return b.finish('CSR');
}
export function deserializeCSR(bytes: Uint8Array): CSRMatrix {
  const r = new ByteReader(bytes, 0, 'CSR matrix');
  const { out, nIn, nnz, t } = readNnzHeader(r);
  const rowPtr = r.u32s(out + 1);
  for (let i = 0; i < out; i++)
    if (rowPtr[i] > rowPtr[i + 1]) throw new FormatError(`CSR rowPtr decreases at row ${i}`);
  if (rowPtr[0] !== 0 || rowPtr[out] !== nnz)
    throw new FormatError(`CSR rowPtr runs ${rowPtr[0]}..${rowPtr[out]}, expected 0..${nnz}`);
  const colIdx = r.indices(nnz, nIn);
  for (let i = 0; i < nnz; i++) if (colIdx[i] >= nIn) throw new FormatError(`CSR column ${colIdx[i]} >= ${nIn}`);
  return { out, in: nIn, rowPtr, colIdx, values: r.values(nnz, t) };
}

// ---- BCSR ----
/** Number of br x bc blocks (zero-padded grid) that hold a kept weight. */
export function countBlocks(
  w: Float32Array,
  out: number,
  nIn: number,
  br: number,
  bc: number,
  mask?: Uint8Array,
): number {
  return blockIndex(w, out, nIn, br, bc, mask).blocks;
}
function blockIndex(w: Float32Array, out: number, nIn: number, br: number, bc: number, mask?: Uint8Array) {
  if (!(Number.isInteger(br) && br > 0 && Number.isInteger(bc) && bc > 0))
    throw new RangeError(`bad block ${br} x ${bc}`);
  check(w, out, nIn, mask);
  const blockRows = Math.ceil(out / br),
    perRow = Math.ceil(nIn / bc);
  const used = new Uint8Array(blockRows * perRow);
  for (let i = 0; i < w.length; i++)
    if (kept(w, mask, i)) used[Math.floor(Math.floor(i / nIn) / br) * perRow + Math.floor((i % nIn) / bc)] = 1;
  let blocks = 0;
  for (const u of used) blocks += u;
  return { blockRows, perRow, used, blocks };
}
export function encodeBCSR(
  w: Float32Array,
  out: number,
  nIn: number,
  br: number,
  bc: number,
  mask?: Uint8Array,
): BCSRMatrix {
  const { blockRows, perRow, used, blocks } = blockIndex(w, out, nIn, br, bc, mask);
  const blockRowPtr = new Uint32Array(blockRows + 1);
  const blockCol = new Uint32Array(blocks);
  const values = new Float32Array(blocks * br * bc);
  let n = 0;
  for (let R = 0; R < blockRows; R++) {
    for (let C = 0; C < perRow; C++) {
      if (!used[R * perRow + C]) continue;
      blockCol[n] = C;
      for (let r = 0; r < br; r++) {
        for (let c = 0; c < bc; c++) {
          const row = R * br + r,
            col = C * bc + c;
          if (row < out && col < nIn && kept(w, mask, row * nIn + col))
            values[(n * br + r) * bc + c] = w[row * nIn + col];
        }
      }
      n++;
    }
    blockRowPtr[R + 1] = n;
  }
  return { out, in: nIn, br, bc, blockRowPtr, blockCol, values };
}
export function decodeBCSR(b: BCSRMatrix): Float32Array {
  const w = new Float32Array(b.out * b.in);
  for (let R = 0; R + 1 < b.blockRowPtr.length; R++) {
    for (let n = b.blockRowPtr[R]; n < b.blockRowPtr[R + 1]; n++) {
      for (let r = 0; r < b.br; r++) {
        for (let c = 0; c < b.bc; c++) {
          const row = R * b.br + r,
            col = b.blockCol[n] * b.bc + c;
          if (row < b.out && col < b.in) w[row * b.in + col] = b.values[(n * b.br + r) * b.bc + c];
        }
      }
    }
  }
  return w;
}
export function serializeBCSR(m: BCSRMatrix, t: ValueType): Uint8Array {
  const blocks = m.blockCol.length;
  const w = new ByteWriter(bcsrBytes(m.out, m.in, m.br, m.bc, blocks, t));
  w.u32(m.out);
  w.u32(m.in);
  w.u32(m.br);
  w.u32(m.bc);
  w.u32(blocks);
  w.u32(VALUE_TYPE_CODE[t]);
  w.u32s(m.blockRowPtr);
  w.indices(m.blockCol, Math.ceil(m.in / m.bc));
  w.values(m.values, t);
  return w.finish('BCSR');
}
export function deserializeBCSR(bytes: Uint8Array): BCSRMatrix {
  const r = new ByteReader(bytes, 0, 'BCSR matrix');
  const out = r.u32(),
    nIn = r.u32(),
    br = r.u32(),
    bc = r.u32(),
    blocks = r.u32(),
    t = valueTypeOf(r.u32());
  if (br < 1 || bc < 1) throw new FormatError(`BCSR block ${br} x ${bc} is empty`);
  const blockRows = Math.ceil(out / br),
    perRow = Math.ceil(nIn / bc);
  const blockRowPtr = r.u32s(blockRows + 1);
  if (blockRowPtr[0] !== 0 || blockRowPtr[blockRows] !== blocks)
    throw new FormatError(`BCSR blockRowPtr runs ${blockRowPtr[0]}..${blockRowPtr[blockRows]}, expected 0..${blocks}`);
  for (let i = 0; i < blockRows; i++)
    if (blockRowPtr[i] > blockRowPtr[i + 1]) throw new FormatError(`BCSR blockRowPtr decreases at block-row ${i}`);
  const blockCol = r.indices(blocks, perRow);
  for (const c of blockCol) if (c >= perRow) throw new FormatError(`BCSR block column ${c} >= ${perRow}`);
  return { out, in: nIn, br, bc, blockRowPtr, blockCol, values: r.values(blocks * br * bc, t) };
}
