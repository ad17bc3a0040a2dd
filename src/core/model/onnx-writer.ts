// Writes modified Linear weights back into the ONNX bytes the model was loaded from. Weights keep
// their shape and float32 type, so their raw_data has the same length: the writer copies the
// file once and overwrites those bytes in place (no protobuf re-encoding, nothing else touched).
// Tensors stored outside raw_data fall back to decode + replace + encode.
import type { Linear } from './bert-types';
import type { OnnxBert } from './bert-from-onnx';
import { transpose } from './graph-walk';
import { ModelLoadError } from './model-error';
import { decodeModel, onnx, DataType } from './onnx-proto';
import { rawDataOffset, tensorSize } from './onnx-tensor';

function stored(values: Float32Array, lin: Linear, layout: 'WT' | 'W'): Float32Array {
  return layout === 'WT' ? transpose(values, lin.out, lin.in) : values;
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

/** New ONNX bytes equal to `base.bytes` with the given Linears' weights and biases replaced.
 *  `linears` are matched by name (e.g. prunableLinears(prunedModel)). */
export function writeBertOnnx(base: OnnxBert, linears: Linear[]): Uint8Array {
  const replacements = new Map<string, Float32Array>();
  for (const lin of linears) {
    const site = base.sites.get(lin.name);
    if (!site) throw new Error(`writeBertOnnx: no linear named '${lin.name}' in this model`);
    if (!site.writable || !site.weightInit) {
      throw new ModelLoadError('unsupported-tensor', `Cannot write '${lin.name}': its weight is not a plain float32 initializer in this model.`);
    }
    if (lin.weight.length !== lin.out * lin.in || lin.bias.length !== lin.out) throw new Error(`writeBertOnnx: '${lin.name}' has the wrong size`);
    replacements.set(site.weightInit, stored(lin.weight, lin, site.layout));
    if (site.biasInit) replacements.set(site.biasInit, lin.bias);
  }
  const tensors = new Map((base.proto.graph!.initializer ?? []).map((t) => [t.name ?? '', t]));
  const offsets = new Map<string, number>();
  for (const name of replacements.keys()) {
    const t = tensors.get(name)!;
    const off = rawDataOffset(t, base.bytes);
    if (off === null || t.dataType !== DataType.FLOAT || tensorSize(t) !== replacements.get(name)!.length) break;
    offsets.set(name, off);
  }
  if (offsets.size === replacements.size) {
    const out = new Uint8Array(base.bytes); // a copy (Buffer.slice would be a view)
    for (const [name, values] of replacements) out.set(littleEndianBytes(values), offsets.get(name)!);
    return out;
  }
  // Fallback: a decoded copy (never mutate the base model's tensors), re-encoded.
  const copy = decodeModel(new Uint8Array(base.bytes));
  for (const t of copy.graph!.initializer ?? []) {
    const values = replacements.get(t.name ?? '');
    if (!values) continue;
    t.rawData = littleEndianBytes(values);
    t.floatData = [];
    t.dataType = DataType.FLOAT;
  }
  return onnx.ModelProto.encode(copy).finish();
}
