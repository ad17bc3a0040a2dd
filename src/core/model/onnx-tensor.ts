// Reading ONNX initializers as float32 (from raw_data or the typed repeated fields; fp16, bf16,
// int8/uint8 are widened) and locating their raw bytes inside the file for in-place writes.
import { DataType, toNumber, type TensorProto } from './onnx-proto';
import { ModelLoadError } from './model-error';

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d as number));
}

export function tensorSize(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

function checkLocal(t: TensorProto): void {
  if (t.dataLocation === 1 /* EXTERNAL */ || (t.externalData && t.externalData.length > 0)) {
    throw new ModelLoadError('external-data', 'The model keeps its weights in a separate .data file (ONNX external data); export it as a single .onnx file.', `tensor ${t.name}`);
  }
}

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
  checkLocal(t);
  const n = tensorSize(t);
  const out = new Float32Array(n);
  const view = rawView(t);
  const type = t.dataType ?? 0;
  const fail = (why: string) => new ModelLoadError('unsupported-tensor', `The model stores a weight in a form this app cannot read (${why}).`, `tensor ${t.name}`);
  if (view) {
    const bytesPer: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.INT32]: 4, [DataType.INT64]: 8, [DataType.DOUBLE]: 8 };
    const b = bytesPer[type];
    if (!b) throw fail(`data type ${type}`);
    if (view.byteLength !== n * b) throw new ModelLoadError('truncated', 'A weight tensor in the model has fewer bytes than its shape needs: the file is damaged or truncated.', `tensor ${t.name}: ${view.byteLength} bytes for ${n} x ${b}`);
    // Fast paths (every browser and Node is little-endian): copy the bytes to an aligned buffer.
    if (LITTLE_ENDIAN && type === DataType.FLOAT) return new Float32Array(Uint8Array.prototype.slice.call(t.rawData!).buffer); // (Buffer.slice would be a view)
    if (type === DataType.INT8) return Float32Array.from(new Int8Array(t.rawData!.buffer, t.rawData!.byteOffset, n));
    if (type === DataType.UINT8) return Float32Array.from(t.rawData!.subarray(0, n));
    for (let i = 0; i < n; i++) {
      switch (type) {
        case DataType.FLOAT: out[i] = view.getFloat32(4 * i, true); break;
        case DataType.FLOAT16: out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
        case DataType.BFLOAT16: out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]; break;
        case DataType.INT8: out[i] = view.getInt8(i); break;
        case DataType.UINT8: out[i] = view.getUint8(i); break;
        case DataType.INT32: out[i] = view.getInt32(4 * i, true); break;
        case DataType.INT64: out[i] = Number(view.getBigInt64(8 * i, true)); break;
        case DataType.DOUBLE: out[i] = view.getFloat64(8 * i, true); break;
      }
    }
    return out;
  }
  // Typed repeated fields. fp16/int8/uint8 live in int32_data (fp16 as raw bit patterns).
  let src: ArrayLike<number> | null = null;
  if (type === DataType.FLOAT) src = t.floatData ?? null;
  else if (type === DataType.DOUBLE) src = t.doubleData ?? null;
  else if (type === DataType.INT64) src = (t.int64Data ?? []).map((v) => toNumber(v as number));
  else if (type === DataType.FLOAT16 && t.int32Data) src = t.int32Data.map(halfToFloat);
  else if ([DataType.INT32, DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16].includes(type)) src = t.int32Data ?? null;
  else throw fail(`data type ${type}`);
  if (!src || src.length !== n) {
    if (n === 0) return out;
    throw new ModelLoadError('truncated', 'A weight tensor in the model has fewer values than its shape needs: the file is damaged or truncated.', `tensor ${t.name}: ${src?.length ?? 0} values for ${n}`);
  }
  out.set(src);
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
