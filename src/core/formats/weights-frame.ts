// The frame shared by the project's weight files (.hpw: HP records, .spw: CSR records): a magic,
// a version, the total length, named records and a CRC-32, so every file is checked the same way
// (truncation, trailing bytes, corruption, metadata) before a record is read.
//
//   offset  type          field
//   0       u8 x4         magic ("HPWF" or "SPWF")
//   4       u32           version
//   8       u32           total file bytes, CRC included (detects truncation before the CRC)
//   12      u32           matrix count
//   16      u32           meta bytes M
//   20      u8 x M        meta: UTF-8 JSON { names: string[], info: {...} } (pattern, config, model)
//   20+M    records       one record per matrix, in the format's own layout
//   end-4   u32           CRC-32 (IEEE 802.3, as zlib/PNG) of every byte before it
// All little-endian. Records are unaligned: readers copy out with DataView.
import CRC32 from 'crc-32';
import { ByteReader, ByteWriter, FormatError } from './byte-io';
import { isJsonObject, jsonDepth } from './json-depth';

export interface FrameSpec {
  magic: string;
  version: number;
  /** Versions this build reads. */
  readable: readonly number[];
  /** The file kind in messages, e.g. ".hpw". */
  label: string;
  error: (message: string) => FormatError;
}

export const FRAME_HEADER_BYTES = 20;
/** Metadata nests names and a flat-ish info object: anything deeper is not ours. */
export const MAX_META_DEPTH = 16;

export const crc32 = (bytes: Uint8Array): number => CRC32.buf(bytes) >>> 0;

function metaOf(names: string[], info: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ names, info }));
}

export function frameBytes(names: string[], info: Record<string, unknown>, recordBytes: number): number {
  return FRAME_HEADER_BYTES + metaOf(names, info).length + recordBytes + 4;
}

/** Writes the frame around records that `writeRecords` lays out in exactly `recordBytes` bytes. */
export function writeFrame(
  spec: FrameSpec,
  names: string[],
  info: Record<string, unknown>,
  recordBytes: number,
  writeRecords: (w: ByteWriter) => void,
): Uint8Array {
  const meta = metaOf(names, info);
  const total = frameBytes(names, info, recordBytes);
  const w = new ByteWriter(total);
  w.u8s(new TextEncoder().encode(spec.magic));
  w.u32(spec.version);
  w.u32(total);
  w.u32(names.length);
  w.u32(meta.length);
  w.u8s(meta);
  writeRecords(w);
  w.u32(crc32(w.bytes.subarray(0, total - 4)));
  return w.finish(spec.label);
}

export interface OpenedFrame {
  version: number;
  names: string[];
  info: Record<string, unknown>;
  /** Positioned at the first record. */
  reader: ByteReader;
  /** Where the records must end (the CRC's offset). */
  recordsEnd: number;
}

/** True when the bytes start with the spec's magic. */
export const hasMagic = (bytes: Uint8Array, magic: string): boolean =>
  bytes.byteLength >= 4 && new TextDecoder().decode(bytes.subarray(0, 4)) === magic;

/** Checks magic, version, length and CRC, and reads the metadata; the records are the caller's. */
export function openFrame(spec: FrameSpec, bytes: Uint8Array): OpenedFrame {
  const { label, error } = spec;
  if (!hasMagic(bytes, spec.magic)) throw error(`not an ${label} file: it does not start with "${spec.magic}"`);
  if (bytes.byteLength < FRAME_HEADER_BYTES + 4)
    throw error(
      `truncated ${label} file: ${bytes.byteLength} bytes, shorter than its ${FRAME_HEADER_BYTES + 4}-byte frame`,
    );
  const r = new ByteReader(bytes, 4, `${label} file`);
  const version = r.u32();
  if (!spec.readable.includes(version))
    throw error(`unsupported ${label} version ${version}: this build reads versions ${spec.readable.join(' and ')}`);
  const total = r.u32();
  if (bytes.byteLength < total) throw error(`truncated ${label} file: ${bytes.byteLength} of ${total} bytes`);
  if (bytes.byteLength > total)
    throw error(`${label} file has ${bytes.byteLength - total} unexpected bytes after its end (${total} bytes)`);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + total - 4, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, total - 4));
  if (stored !== actual) throw error(`corrupted ${label} file: CRC-32 is ${hex(actual)}, the file says ${hex(stored)}`);
  const count = r.u32();
  const metaLength = r.u32();
  const meta = readMeta(spec, r.u8s(metaLength));
  const names = meta.names;
  if (!Array.isArray(names) || names.length !== count || !names.every((n) => typeof n === 'string')) {
    throw error(`malformed ${label} file: metadata names ${count} matrices incorrectly`);
  }
  return { version, names: names as string[], info: meta.info ?? {}, reader: r, recordsEnd: total - 4 };
}

/** After the records: they must end exactly at the checksum. */
export function closeFrame(spec: FrameSpec, frame: OpenedFrame): void {
  if (frame.reader.offset !== frame.recordsEnd)
    throw spec.error(
      `malformed ${spec.label} file: records end at byte ${frame.reader.offset}, ` +
        `the checksum sits at ${frame.recordsEnd}`,
    );
}

function readMeta(spec: FrameSpec, bytes: Uint8Array): { names: unknown; info?: Record<string, unknown> } {
  const { label, error } = spec;
  let text: string;
  let meta: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw error(`malformed ${label} file: its metadata is not UTF-8`);
  }
  if (jsonDepth(text, MAX_META_DEPTH) > MAX_META_DEPTH)
    throw error(`malformed ${label} file: its metadata nests deeper than ${MAX_META_DEPTH} levels`);
  try {
    meta = JSON.parse(text);
  } catch {
    throw error(`malformed ${label} file: its metadata is not JSON`);
  }
  if (!isJsonObject(meta)) {
    const what = meta === null ? 'null' : Array.isArray(meta) ? 'an array' : `a ${typeof meta}`;
    throw error(`malformed ${label} file: its metadata is ${what}, not an object`);
  }
  if (meta.info !== undefined && !isJsonObject(meta.info))
    throw error(`malformed ${label} file: its metadata "info" is not an object`);
  return meta as { names: unknown; info?: Record<string, unknown> };
}

/** Largest matrix side and value count a record may claim: BERT-large's FFN is 4096 x 1024, and
 *  the model loader refuses more than 150 M parameters in all. A CRC-valid record of 28 bytes can
 *  otherwise claim 4,294,967,295 x 16,777,216, which any dense use would try to allocate. */
export const MAX_RECORD_SIDE = 65536;
export const MAX_RECORD_DENSE = 150_000_000;

export function checkMatrixBounds(kind: string, out: number, nIn: number): void {
  if (out > MAX_RECORD_SIDE || nIn > MAX_RECORD_SIDE || out * nIn > MAX_RECORD_DENSE) {
    throw new FormatError(
      `${kind} record claims a ${out} x ${nIn} matrix; ` +
        `this build reads at most ${MAX_RECORD_SIDE} per side and ${MAX_RECORD_DENSE / 1e6} M values`,
    );
  }
}

const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');
