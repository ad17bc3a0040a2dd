// The .hpw file: every HP matrix of a model in one binary, readable by the app and the CLI.
// The frame (magic "HPWF", version, length, names and info as JSON, CRC-32) is weights-frame.ts;
// the records are one HP record per matrix, hp-record.ts layout (= hpBytes each).
// Version 2 adds the int8 value type; version 1 files still read.
import { FormatError } from './byte-io';
import { hpBytes, type HPMatrix, type HPValueType } from './hp';
import { readHPRecord, writeHPRecord } from './hp-record';
import {
  checkMatrixBounds,
  closeFrame,
  frameBytes,
  MAX_RECORD_DENSE,
  MAX_RECORD_SIDE,
  openFrame,
  writeFrame,
  type FrameSpec,
} from './weights-frame';

export const HPW_MAGIC = 'HPWF';
export const HPW_VERSION = 2;
/** Versions this build reads: 1 (f32/f16 records) and 2 (int8 too; same layout otherwise). */
export const HPW_READABLE_VERSIONS: readonly number[] = [1, 2];

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

export { crc32 } from './weights-frame';

const HPW_FRAME: FrameSpec = {
  magic: HPW_MAGIC,
  version: HPW_VERSION,
  readable: HPW_READABLE_VERSIONS,
  label: '.hpw',
  error: (message) => new HPWError(message),
};

export function hpwBytes(matrices: HPWEntry[], t: HPValueType, info: Record<string, unknown> = {}): number {
  const names = matrices.map((e) => e.name);
  return frameBytes(
    names,
    info,
    matrices.reduce((s, e) => s + hpBytes(e.hp, t), 0),
  );
}

export function writeHPW(file: HPWFile): Uint8Array {
  const names = file.matrices.map((e) => e.name);
  const recordBytes = file.matrices.reduce((s, e) => s + hpBytes(e.hp, file.valueType), 0);
  return writeFrame(HPW_FRAME, names, file.info, recordBytes, (w) => {
    for (const e of file.matrices) writeHPRecord(e.hp, file.valueType, w);
  });
}

export function readHPW(bytes: Uint8Array): HPWFile {
  const frame = openFrame(HPW_FRAME, bytes);
  const { names, reader: r, version } = frame;
  const matrices: HPWEntry[] = [];
  let valueType: HPValueType = 'f32';
  for (let i = 0; i < names.length; i++) {
    try {
      const rec = readHPRecord(r);
      checkRecordBounds(rec.hp);
      if (i > 0 && rec.valueType !== valueType) throw new FormatError('mixed value types');
      if (version === 1 && rec.valueType === 'int8')
        throw new FormatError('int8 values in a version 1 file (int8 arrived with version 2)');
      valueType = rec.valueType;
      matrices.push({ name: names[i], hp: rec.hp });
    } catch (err) {
      throw new HPWError(`malformed .hpw file: matrix ${i} (${names[i]}): ${(err as Error).message}`);
    }
  }
  closeFrame(HPW_FRAME, frame);
  return { valueType, matrices, info: frame.info };
}

export { MAX_META_DEPTH } from './weights-frame';
export const MAX_HPW_SIDE = MAX_RECORD_SIDE;
export const MAX_HPW_DENSE = MAX_RECORD_DENSE;
export const MAX_HPW_TILE_ROWS = 256;

function checkRecordBounds(hp: HPMatrix): void {
  checkMatrixBounds('HP', hp.out, hp.in);
  if (hp.tr > MAX_HPW_TILE_ROWS)
    throw new FormatError(`HP record claims ${hp.tr}-row tiles; at most ${MAX_HPW_TILE_ROWS}`);
}
