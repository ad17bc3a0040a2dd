// One HPMatrix as bytes, in exactly the layout hp.ts's hpBytes counts: header u32 x7 (out, in,
// tr, tc, m, k, value type), tileCol u16 x (tileRows m), colOff u8 x (tileRows m k), values
// (f32 or f16) x (tileRows m k tr). Unpadded; little-endian.
import { ByteReader, ByteWriter, FormatError, VALUE_TYPE_CODE, valueTypeOf } from './byte-io';
import { hpBytes, tileGrid, validateShape, type HPMatrix, type ValueType } from './hp';

export function writeHPRecord(hp: HPMatrix, t: ValueType, into?: ByteWriter): Uint8Array {
  const w = into ?? new ByteWriter(hpBytes(hp, t));
  const start = w.offset;
  w.u32(hp.out); w.u32(hp.in); w.u32(hp.tr); w.u32(hp.tc); w.u32(hp.m); w.u32(hp.k); w.u32(VALUE_TYPE_CODE[t]);
  w.u16s(hp.tileCol); w.u8s(hp.colOff); w.values(hp.values, t);
  if (w.offset - start !== hpBytes(hp, t)) throw new Error(`HP record: wrote ${w.offset - start} bytes, hpBytes says ${hpBytes(hp, t)}`);
  return into ? w.bytes.subarray(start, w.offset) : w.finish('HP record');
}

/** Reads one record at the reader's offset, checking the shape and every index. */
export function readHPRecord(r: ByteReader): { hp: HPMatrix; valueType: ValueType } {
  const [out, nIn, tr, tc, m, k] = Array.from(r.u32s(6));
  const valueType = valueTypeOf(r.u32());
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
      if (tileCol[i] >= tilesPerRow || (j > 0 && tileCol[i] <= tileCol[i - 1])) throw new FormatError(`HP tileCol of tile-row ${t} is not sorted distinct tiles < ${tilesPerRow}`);
      for (let c = 0; c < k; c++) {
        const o = i * k + c;
        if (colOff[o] >= tc || (c > 0 && colOff[o] <= colOff[o - 1])) throw new FormatError(`HP colOff of kept tile ${i} is not sorted distinct offsets < ${tc}`);
      }
    }
  }
  const values = r.values(tileRows * m * k * tr, valueType);
  return { hp: { ...shape, tileCol, colOff, values }, valueType };
}
