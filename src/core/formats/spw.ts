// The .spw file ("sparse weights"): the pruned matrices of a model whose pattern HP's format
// cannot hold (unstructured, row-balanced, N:M), as CSR records of the kept positions, so a
// retrained baseline ships, like HP's .hpw, as a small file on top of the dense ONNX.
// Frame: weights-frame.ts with magic "SPWF", version 1; records: one CSR record per matrix in
// sparse.ts's layout (header u32 x4: out, in, nnz, value type; rowPtr u32 x (out + 1); colIdx u16
// or u32; values f32 or f16). A kept weight that is exactly 0 is still a kept position.
import { FormatError, valueTypeOf } from './byte-io';
import type { ValueType } from './hp';
import { csrBytes, decodeCSR, deserializeCSR, serializeCSR, type CSRMatrix } from './sparse';
import { checkMatrixBounds, closeFrame, frameBytes, openFrame, writeFrame, type FrameSpec } from './weights-frame';

export const SPW_MAGIC = 'SPWF';
export const SPW_VERSION = 1;

export interface SPWEntry {
  name: string;
  csr: CSRMatrix;
}

export interface SPWFile {
  valueType: ValueType;
  matrices: SPWEntry[];
  /** Free-form JSON metadata (pattern, config, source model). */
  info: Record<string, unknown>;
}

export class SPWError extends FormatError {
  constructor(message: string) {
    super(message);
    this.name = 'SPWError';
  }
}

const SPW_FRAME: FrameSpec = {
  magic: SPW_MAGIC,
  version: SPW_VERSION,
  readable: [SPW_VERSION],
  label: '.spw',
  error: (message) => new SPWError(message),
};

const recordBytes = (e: SPWEntry, t: ValueType) => csrBytes(e.csr.out, e.csr.in, e.csr.values.length, t);

export function spwBytes(matrices: SPWEntry[], t: ValueType, info: Record<string, unknown> = {}): number {
  return frameBytes(
    matrices.map((e) => e.name),
    info,
    matrices.reduce((s, e) => s + recordBytes(e, t), 0),
  );
}

export function writeSPW(file: SPWFile): Uint8Array {
  const names = file.matrices.map((e) => e.name);
  const total = file.matrices.reduce((s, e) => s + recordBytes(e, file.valueType), 0);
  return writeFrame(SPW_FRAME, names, file.info, total, (w) => {
    for (const e of file.matrices) w.u8s(serializeCSR(e.csr, file.valueType));
  });
}

const CSR_HEADER_BYTES = 16;

export function readSPW(bytes: Uint8Array): SPWFile {
  const frame = openFrame(SPW_FRAME, bytes);
  const { names, reader: r } = frame;
  const matrices: SPWEntry[] = [];
  let valueType: ValueType = 'f32';
  for (let i = 0; i < names.length; i++) {
    try {
      // The record's length follows from its header: read the header, then the whole record.
      r.need(CSR_HEADER_BYTES);
      const head = new DataView(bytes.buffer, bytes.byteOffset + r.offset, CSR_HEADER_BYTES);
      const [out, nIn, nnz, code] = [0, 4, 8, 12].map((o) => head.getUint32(o, true));
      checkMatrixBounds('CSR', out, nIn);
      if (nnz > out * nIn) throw new FormatError(`CSR record claims ${nnz} kept of ${out} x ${nIn}`);
      const t = valueTypeOf(code);
      if (i > 0 && t !== valueType) throw new FormatError('mixed value types');
      valueType = t;
      const csr = deserializeCSR(r.u8s(csrBytes(out, nIn, nnz, t)));
      matrices.push({ name: names[i], csr });
    } catch (err) {
      throw new SPWError(`malformed .spw file: matrix ${i} (${names[i]}): ${(err as Error).message}`);
    }
  }
  closeFrame(SPW_FRAME, frame);
  return { valueType, matrices, info: frame.info };
}

/** The dense row-major weight of one record (zeros where nothing is kept). */
export const spwDense = (e: SPWEntry): Float32Array => decodeCSR(e.csr);
