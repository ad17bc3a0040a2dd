// The .hpw file: every HP matrix of a model in one binary, readable by the app and the CLI.
//
//   offset  type          field
//   0       u8 x4         magic "HPWF"
//   4       u32           version (2: adds the int8 value type; version 1 files still read)
//   8       u32           total file bytes, CRC included (detects truncation before the CRC)
//   12      u32           matrix count
//   16      u32           meta bytes M
//   20      u8 x M        meta: UTF-8 JSON { names: string[], info: {...} } (pattern, config, model)
//   20+M    records       one HP record per matrix, hp-record.ts layout (= hpBytes each)
//   end-4   u32           CRC-32 (IEEE 802.3, as zlib/PNG) of every byte before it
// All little-endian. Records are unaligned: readers copy out with DataView.
import CRC32 from 'crc-32';
import { ByteReader, ByteWriter, FormatError } from './byte-io';
import { hpBytes, type HPMatrix, type HPValueType } from './hp';
import { isJsonObject, jsonDepth } from './json-depth';
import { readHPRecord, writeHPRecord } from './hp-record';

export const HPW_MAGIC = 'HPWF';
export const HPW_VERSION = 2;
/** Versions this build reads: 1 (f32/f16 records) and 2 (int8 too; same layout otherwise). */
export const HPW_READABLE_VERSIONS: readonly number[] = [1, 2];
const FIXED_HEADER = 20;

export interface HPWEntry {
  name: string;
  hp: HPMatrix;
}

export interface HPWFile {
  valueType: HPValueType;
  matrices: HPWEntry[];
  /** Free-form JSON metadata (pattern, config, source model). */
  info: Record<string, unknown>;
}

export class HPWError extends FormatError {
  constructor(message: string) {
    super(message);
    this.name = 'HPWError';
  }
}

export const crc32 = (bytes: Uint8Array): number => CRC32.buf(bytes) >>> 0;

export function hpwBytes(matrices: HPWEntry[], t: HPValueType, info: Record<string, unknown> = {}): number {
  return FIXED_HEADER + metaOf(matrices, info).length + matrices.reduce((s, e) => s + hpBytes(e.hp, t), 0) + 4;
}

function metaOf(matrices: HPWEntry[], info: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ names: matrices.map((e) => e.name), info }));
}

export function writeHPW(file: HPWFile): Uint8Array {
  const meta = metaOf(file.matrices, file.info);
  const total = hpwBytes(file.matrices, file.valueType, file.info);
  const w = new ByteWriter(total);
  w.u8s(new TextEncoder().encode(HPW_MAGIC));
  w.u32(HPW_VERSION);
  w.u32(total);
  w.u32(file.matrices.length);
  w.u32(meta.length);
  w.u8s(meta);
  for (const e of file.matrices) writeHPRecord(e.hp, file.valueType, w);
  w.u32(crc32(w.bytes.subarray(0, total - 4)));
  return w.finish('.hpw');
}

export function readHPW(bytes: Uint8Array): HPWFile {
  if (bytes.byteLength < 4 || new TextDecoder().decode(bytes.subarray(0, 4)) !== HPW_MAGIC) {
    throw new HPWError(`not an .hpw file: it does not start with "${HPW_MAGIC}"`);
  }
  if (bytes.byteLength < FIXED_HEADER + 4)
    throw new HPWError(
      `truncated .hpw file: ${bytes.byteLength} bytes, shorter than its ${FIXED_HEADER + 4}-byte frame`,
    );
  const r = new ByteReader(bytes, 4, '.hpw file');
  const version = r.u32();
  if (!HPW_READABLE_VERSIONS.includes(version))
    throw new HPWError(
      `unsupported .hpw version ${version}: this build reads versions ${HPW_READABLE_VERSIONS.join(' and ')}`,
    );
  const total = r.u32();
  if (bytes.byteLength < total) throw new HPWError(`truncated .hpw file: ${bytes.byteLength} of ${total} bytes`);
  if (bytes.byteLength > total)
    throw new HPWError(`.hpw file has ${bytes.byteLength - total} unexpected bytes after its end (${total} bytes)`);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + total - 4, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, total - 4));
  if (stored !== actual)
    throw new HPWError(`corrupted .hpw file: CRC-32 is ${hex(actual)}, the file says ${hex(stored)}`);
  const count = r.u32();
  const metaLength = r.u32();
  const meta = readMeta(r.u8s(metaLength));
  const names = meta.names;
  if (!Array.isArray(names) || names.length !== count || !names.every((n) => typeof n === 'string')) {
    throw new HPWError(`malformed .hpw file: metadata names ${count} matrices incorrectly`);
  }
  const matrices: HPWEntry[] = [];
  let valueType: HPValueType = 'f32';
  for (let i = 0; i < count; i++) {
    try {
      const rec = readHPRecord(r);
      checkRecordBounds(rec.hp);
      if (i > 0 && rec.valueType !== valueType) throw new FormatError('mixed value types');
      if (version === 1 && rec.valueType === 'int8')
        throw new FormatError('int8 values in a version 1 file (int8 arrived with version 2)');
      valueType = rec.valueType;
      matrices.push({ name: names[i] as string, hp: rec.hp });
    } catch (err) {
      throw new HPWError(`malformed .hpw file: matrix ${i} (${names[i]}): ${(err as Error).message}`);
    }
  }
  if (r.offset !== total - 4)
    throw new HPWError(`malformed .hpw file: records end at byte ${r.offset}, the checksum sits at ${total - 4}`);
  return { valueType, matrices, info: (meta.info ?? {}) as Record<string, unknown> };
}

/** Metadata nests names and a flat-ish info object: anything deeper is not ours. */
export const MAX_META_DEPTH = 16;

function readMeta(bytes: Uint8Array): { names: unknown; info?: Record<string, unknown> } {
  let text: string;
  let meta: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HPWError('malformed .hpw file: its metadata is not UTF-8');
  }
  if (jsonDepth(text, MAX_META_DEPTH) > MAX_META_DEPTH)
    throw new HPWError(`malformed .hpw file: its metadata nests deeper than ${MAX_META_DEPTH} levels`);
  try {
    meta = JSON.parse(text);
  } catch {
    throw new HPWError('malformed .hpw file: its metadata is not JSON');
  }
  if (!isJsonObject(meta)) {
    const what = meta === null ? 'null' : Array.isArray(meta) ? 'an array' : `a ${typeof meta}`;
    throw new HPWError(`malformed .hpw file: its metadata is ${what}, not an object`);
  }
  if (meta.info !== undefined && !isJsonObject(meta.info))
    throw new HPWError('malformed .hpw file: its metadata "info" is not an object');
  return meta as { names: unknown; info?: Record<string, unknown> };
}

/** Largest matrix side and value count a record may claim: BERT-large's FFN is 4096 x 1024, and
 *  the model loader refuses more than 150 M parameters in all. A CRC-valid record of 28 bytes can
 *  otherwise claim 4,294,967,295 x 16,777,216, which any dense use would try to allocate. */
export const MAX_HPW_SIDE = 65536;
export const MAX_HPW_DENSE = 150_000_000;
export const MAX_HPW_TILE_ROWS = 256;

function checkRecordBounds(hp: HPMatrix): void {
  if (hp.out > MAX_HPW_SIDE || hp.in > MAX_HPW_SIDE || hp.out * hp.in > MAX_HPW_DENSE) {
    throw new FormatError(
      `HP record claims a ${hp.out} x ${hp.in} matrix; ` +
        `this build reads at most ${MAX_HPW_SIDE} per side and ${MAX_HPW_DENSE / 1e6} M values`,
    );
  }
  if (hp.tr > MAX_HPW_TILE_ROWS)
    throw new FormatError(`HP record claims ${hp.tr}-row tiles; at most ${MAX_HPW_TILE_ROWS}`);
}

const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');
