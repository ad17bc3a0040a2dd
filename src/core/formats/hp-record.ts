// One HPMatrix as bytes, in exactly the layout hp.ts's hpBytes counts: header u32 x7 (out, in,
// tr, tc, m, k, value type), tileCol u16 x (tileRows m), colOff u8 x (tileRows m k), values
// (f32, f16 or int8) x (tileRows m k tr), and for int8 one f32 scale per output row (out).
// Unpadded; little-endian.
import { ByteReader, ByteWriter, FormatError, VALUE_TYPE_CODE, valueTypeOf } from './byte-io';
import { hpBytes, tileGrid, validateShape, type HPCodes, type HPMatrix, type HPValueType } from './hp';
import { quantizeHP } from '../quant/int-linear';

const INT8_CODE = 2;
const hpValueTypeCode = (t: HPValueType): number => (t === 'int8' ? INT8_CODE : VALUE_TYPE_CODE[t]);
const hpValueTypeOf = (code: number): HPValueType => (code === INT8_CODE ? 'int8' : valueTypeOf(code));

/** The int8 codes of `hp`: the ones it carries, else quantized per output row now. */
function int8Codes(hp: HPMatrix): HPCodes {
  return hp.quant?.bits === 8 ? hp.quant : quantizeHP(hp, 8);
}

export function writeHPRecord(hp: HPMatrix, t: HPValueType, into?: ByteWriter): Uint8Array {
  const w = into ?? new ByteWriter(hpBytes(hp, t));
  const start = w.offset;
  w.u32(hp.out);
  w.u32(hp.in);
  w.u32(hp.tr);
  w.u32(hp.tc);
  w.u32(hp.m);
  w.u32(hp.k);
  w.u32(hpValueTypeCode(t));
  w.u16s(hp.tileCol);
  w.u8s(hp.colOff);
  if (t === 'int8') {
    const q = int8Codes(hp);
    w.u8s(new Uint8Array(q.codes.buffer, q.codes.byteOffset, q.codes.length));
    w.values(q.scales, 'f32');
  } else {
    w.values(hp.values, t);
  }
  if (w.offset - start !== hpBytes(hp, t))
    throw new Error(`HP record: wrote ${w.offset - start} bytes, hpBytes says ${hpBytes(hp, t)}`);
  return into ? w.bytes.subarray(start, w.offset) : w.finish('HP record');
}

/** Reads one record at the reader's offset, checking the shape and every index. */
export function readHPRecord(r: ByteReader): { hp: HPMatrix; valueType: HPValueType } {
  const [out, nIn, tr, tc, m, k] = Array.from(r.u32s(6));
  const valueType = hpValueTypeOf(r.u32());
  const shape = { out, in: nIn, tr, tc, m, k };
  try {
    validateShape(shape);
  } catch {
    throw new FormatError(`HP record has an invalid shape ${JSON.stringify(shape)}`);
  }
  const { tileRows, tilesPerRow } = tileGrid(shape);
  const tileCol = r.u16s(tileRows * m);
  const colOff = r.u8s(tileRows * m * k);
  for (let t = 0; t < tileRows; t++) {
    for (let j = 0; j < m; j++) {
      const i = t * m + j;
      if (tileCol[i] >= tilesPerRow || (j > 0 && tileCol[i] <= tileCol[i - 1]))
        throw new FormatError(`HP tileCol of tile-row ${t} is not sorted distinct tiles < ${tilesPerRow}`);
      for (let c = 0; c < k; c++) {
        const o = i * k + c;
        if (colOff[o] >= tc || (c > 0 && colOff[o] <= colOff[o - 1]))
          throw new FormatError(`HP colOff of kept tile ${i} is not sorted distinct offsets < ${tc}`);
      }
    }
  }
  const n = tileRows * m * k * tr;
  if (valueType !== 'int8') return { hp: { ...shape, tileCol, colOff, values: r.values(n, valueType) }, valueType };
  const bytes = r.u8s(n);
  const codes = new Int8Array(bytes.buffer, bytes.byteOffset, n);
  const scales = r.values(out, 'f32');
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / (k * tr * m)) * tr + (i % tr); // tile-row, then row inside the tile
    if (row < out) values[i] = codes[i] * scales[row];
    else if (codes[i] !== 0)
      throw new FormatError(`HP int8 record has a nonzero code ${codes[i]} in the padding below row ${out}`);
  }
  return { hp: { ...shape, tileCol, colOff, values, quant: { bits: 8, codes, scales } }, valueType };
}
