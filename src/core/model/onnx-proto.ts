// The ONNX protobuf schema (compiled protobufjs classes from the `onnx-proto` package) and the
// decoding step with the checks a user-chosen file needs before anything else looks at it.
import onnxProto from 'onnx-proto';
import { MAX_MODEL_BYTES, ModelLoadError, tooLarge } from './model-error';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;

export { MAX_MODEL_BYTES } from './model-error';

/** int64 fields decode as Long objects in Node (the `long` package is present), numbers in browsers. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function decodeModel(bytes: Uint8Array, maxBytes = MAX_MODEL_BYTES): ModelProto {
  if (bytes.byteLength === 0) throw new ModelLoadError('empty', 'The model file is empty.');
  if (bytes.byteLength > maxBytes) tooLarge(bytes.byteLength, maxBytes);
  // Every ONNX writer (onnx, torch, tf2onnx) puts ir_version (field 1, varint: tag 0x08, a small
  // number) first. Anything else is another kind of file, not a cut-short model.
  if (bytes[0] !== 0x08 || bytes.byteLength < 2 || bytes[1] === 0 || bytes[1] > 64) {
    throw new ModelLoadError('not-onnx', 'This file is not an ONNX model (it does not start like an ONNX ModelProto).');
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    // protobufjs reports reading past the end as "index out of range": the file was cut short.
    if (/index out of range/i.test(msg)) {
      throw new ModelLoadError(
        'truncated',
        'The model file ends early: it is truncated (an interrupted download?). Load the complete .onnx file.',
        msg,
      );
    }
    throw new ModelLoadError(
      'not-onnx',
      'This file is not an ONNX model (it could not be decoded as ONNX protobuf).',
      msg,
    );
  }
  // Random bytes can decode "successfully" into a message with junk fields: demand a real graph.
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0 || toNumber(model.irVersion) <= 0) {
    throw new ModelLoadError('not-onnx', 'This file is not an ONNX model (it has no IR version or no graph nodes).');
  }
  return model;
}
