// Reading ONNX initializers as float32 (from raw_data or the typed repeated fields; fp16, bf16,
// int8/uint8 are widened) and locating their raw bytes inside the file for in-place writes.
import { DataType, toNumber, type TensorProto } from './onnx-proto';
import { ModelLoadError } from './model-error';

/** No dimension of a tensor a browser tab can hold exceeds this (typed arrays stop near 2^31). */
export const MAX_TENSOR_DIM = 2 ** 31 - 1;

const badTensor = (t: TensorProto, why: string, detail?: string) =>
  new ModelLoadError(
    'bad-tensor',
    `The model's tensor '${t.name ?? ''}' ${why}: the file is damaged or was not written by an ONNX exporter.`,
    detail,
  );

/** The tensor's dims, each checked to be an integer in [0, MAX_TENSOR_DIM]. */
export function tensorDims(t: TensorProto): number[] {
  const dims = (t.dims ?? []).map((d) => toNumber(d as number));
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0 || d > MAX_TENSOR_DIM)
      throw badTensor(t, `declares an impossible dimension ${d}`, `dims [${dims.join(', ')}]`);
  }
  return dims;
}

/** The number of values the dims declare (checked dims; capped so the product stays exact). */
export function tensorSize(t: TensorProto): number {
  const dims = tensorDims(t);
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER)
      throw badTensor(t, `declares more values than any file can hold`, `dims [${dims.join(', ')}]`);
  }
  return n;
}

/** Bytes per element of every fixed-size ONNX type (STRING and packed 4-bit types are absent). */
const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.COMPLEX64]: 8,
  [DataType.COMPLEX128]: 16,
  [DataType.BFLOAT16]: 2,
};

/** How many values the tensor's stored data holds (raw bytes over the element size, else the
 *  typed field ONNX assigns to its type), or null when that cannot be told (strings, a type this
 *  build does not know). Complex values take two slots. */
function storedCount(t: TensorProto): number | null {
  const type = t.dataType ?? 0;
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const b = ELEMENT_BYTES[type];
    return b ? raw.byteLength / b : null;
  }
  if (type === DataType.STRING || !ELEMENT_BYTES[type]) return null;
  if (type === DataType.FLOAT || type === DataType.COMPLEX64)
    return (t.floatData?.length ?? 0) / (type === DataType.FLOAT ? 1 : 2);
  if (type === DataType.DOUBLE || type === DataType.COMPLEX128)
    return (t.doubleData?.length ?? 0) / (type === DataType.DOUBLE ? 1 : 2);
  if (type === DataType.INT64) return t.int64Data?.length ?? 0;
  if (type === DataType.UINT32 || type === DataType.UINT64) return t.uint64Data?.length ?? 0;
  return t.int32Data?.length ?? 0;
}

/** Checks the dims against the data the file really holds, before anything is allocated from
 *  them; returns the element count. External data is refused first (its bytes are elsewhere). */
export function checkTensor(t: TensorProto): number {
  checkLocal(t);
  const n = tensorSize(t);
  const stored = storedCount(t);
  if (stored === null || stored === n || (stored === 0 && n === 0)) return n;
  const shape = `[${tensorDims(t).join(', ')}]`;
  const what = stored < n ? 'holds fewer values than its shape' : 'holds more values than its shape';
  throw new ModelLoadError(
    'truncated',
    `The model's tensor '${t.name ?? ''}' ${what} ${shape} needs: ` +
      `the file is damaged or truncated (${stored < n ? 'fewer bytes' : 'extra bytes'}).`,
    `tensor ${t.name}: ${stored} values stored, ${n} declared`,
  );
}

function checkLocal(t: TensorProto): void {
  if (t.dataLocation === 1 /* EXTERNAL */ || (t.externalData && t.externalData.length > 0)) {
    throw new ModelLoadError(
      'external-data',
      'The model keeps its weights in a separate .data file (ONNX external data); export it as a single .onnx file.',
      `tensor ${t.name}`,
    );
  }
}

/** The types tensorToFloat32 widens from raw_data. */
const READABLE_RAW = new Set<number>([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.INT32,
  DataType.INT64,
  DataType.DOUBLE,
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half to float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function rawView(t: TensorProto): DataView | null {
  const raw = t.rawData;
  if (!raw || raw.byteLength === 0) return null;
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The tensor's values as numbers widened to float32 (int types keep their integer values). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const n = checkTensor(t);
  const view = rawView(t);
  const type = t.dataType ?? 0;
  const fail = (why: string) =>
    new ModelLoadError(
      'unsupported-tensor',
      `The model stores a weight in a form this app cannot read (${why}).`,
      `tensor ${t.name}`,
    );
  if (view) {
    const b = READABLE_RAW.has(type) ? ELEMENT_BYTES[type] : 0;
    if (!b) throw fail(`data type ${type}`);
    // Fast paths (every browser and Node is little-endian): copy the bytes to an aligned buffer.
    if (LITTLE_ENDIAN && type === DataType.FLOAT)
      return new Float32Array(Uint8Array.prototype.slice.call(t.rawData!).buffer); // (Buffer.slice would be a view)
    // TypedArray.set converts natively (Float32Array.from calls back per element: ~10x slower).
    if (type === DataType.INT8 || type === DataType.UINT8) {
      const out = new Float32Array(n);
      const raw = t.rawData!;
      out.set(type === DataType.INT8 ? new Int8Array(raw.buffer, raw.byteOffset, n) : raw.subarray(0, n));
      return out;
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      switch (type) {
        case DataType.FLOAT:
          out[i] = view.getFloat32(4 * i, true);
          break;
        case DataType.FLOAT16:
          out[i] = halfToFloat(view.getUint16(2 * i, true));
          break;
        case DataType.BFLOAT16:
          out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0];
          break;
        case DataType.INT32:
          out[i] = view.getInt32(4 * i, true);
          break;
        case DataType.INT64:
          out[i] = Number(view.getBigInt64(8 * i, true));
          break;
        case DataType.DOUBLE:
          out[i] = view.getFloat64(8 * i, true);
          break;
      }
    }
    return out;
  }
  // Typed repeated fields. fp16/int8/uint8 live in int32_data (fp16 as raw bit patterns).
  let src: ArrayLike<number> | null;
  if (type === DataType.FLOAT) src = t.floatData ?? null;
  else if (type === DataType.DOUBLE) src = t.doubleData ?? null;
  else if (type === DataType.INT64) src = (t.int64Data ?? []).map((v) => toNumber(v as number));
  else if (type === DataType.FLOAT16 && t.int32Data) src = t.int32Data.map(halfToFloat);
  else if ([DataType.INT32, DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16].includes(type))
    src = t.int32Data ?? null;
  else throw fail(`data type ${type}`);
  const out = new Float32Array(n);
  if (n > 0) out.set(src!); // checkTensor made sure the field holds exactly n values
  return out;
}

/** Where this tensor's raw_data bytes sit inside `file` (protobufjs decodes bytes fields as
 *  views of the input buffer), or null when they are elsewhere (typed fields, a copy). */
export function rawDataOffset(t: TensorProto, file: Uint8Array): number | null {
  const raw = t.rawData;
  if (!raw || raw.byteLength === 0 || raw.buffer !== file.buffer) return null;
  const off = raw.byteOffset - file.byteOffset;
  return off >= 0 && off + raw.byteLength <= file.byteLength ? off : null;
}
