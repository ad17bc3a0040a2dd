// Writes modified Linear weights back into the ONNX bytes the model was loaded from. Weights keep
// their shape and float32 type, so their raw_data has the same length: the writer copies the
// file once and overwrites those bytes at offsets recorded by the parser (no protobuf
// re-encoding, nothing else touched). Tensors stored outside raw_data: decode, replace, encode.
import type { Linear, LayerNormParams } from './bert-types';
import type { OnnxBert } from './bert-from-onnx';
import { transpose } from './graph-walk';
import { ModelLoadError } from './model-error';
import { decodeModel, onnx, DataType } from './onnx-proto';
import { tensorSize } from './onnx-tensor';

function stored(values: Float32Array, lin: Linear, layout: 'WT' | 'W'): Float32Array {
  return layout === 'WT' ? transpose(values, lin.out, lin.in) : values;
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return out;
}

/** What the writer needs of a parsed model: plain data, so a worker that received it by
 *  structured clone (no protobuf objects) can write too. */
export type WritableBert = Pick<OnnxBert, 'bytes' | 'sites'> & Partial<Pick<OnnxBert, 'lnSites'>>;

/** New ONNX bytes equal to `base.bytes` with the given Linears' weights and biases replaced.
 *  `linears` are matched by name (e.g. prunableLinears(prunedModel)); `layerNorms`, when given,
 *  are every layer's ln1 and ln2 gamma and beta (e.g. after fine-tuning). */
export function writeBertOnnx(
  base: WritableBert,
  linears: Linear[],
  layerNorms?: { ln1: LayerNormParams; ln2: LayerNormParams }[],
): Uint8Array {
  const patches: { offset?: number; init: string; values: Float32Array }[] = [];
  if (layerNorms) {
    if (!base.lnSites || base.lnSites.length !== layerNorms.length)
      throw new Error(
        `writeBertOnnx: ${layerNorms.length} layers' LayerNorms for a model with ${base.lnSites?.length ?? '?'}`,
      );
    layerNorms.forEach((l, i) => {
      for (const which of ['ln1', 'ln2'] as const)
        for (const part of ['gamma', 'beta'] as const) {
          const site = base.lnSites![i][which][part];
          if (!site)
            throw new ModelLoadError(
              'unsupported-tensor',
              `Cannot write layer ${i}'s ${which} ${part}: it is not a plain float32 initializer in this model.`,
            );
          patches.push({ offset: site.offset, init: site.init, values: l[which][part] });
        }
    });
  }
  for (const lin of linears) {
    const site = base.sites.get(lin.name);
    if (!site) throw new Error(`writeBertOnnx: no linear named '${lin.name}' in this model`);
    if (!site.writable || !site.weightInit) {
      throw new ModelLoadError(
        'unsupported-tensor',
        `Cannot write '${lin.name}': its weight is not a plain float32 initializer in this model.`,
      );
    }
    if (lin.weight.length !== lin.out * lin.in || lin.bias.length !== lin.out)
      throw new Error(`writeBertOnnx: '${lin.name}' has the wrong size`);
    patches.push({ offset: site.weightOffset, init: site.weightInit, values: stored(lin.weight, lin, site.layout) });
    if (site.biasInit) patches.push({ offset: site.biasOffset, init: site.biasInit, values: lin.bias });
  }
  if (patches.every((p) => p.offset !== undefined && p.offset + 4 * p.values.length <= base.bytes.byteLength)) {
    const out = new Uint8Array(base.bytes); // a copy (Buffer.slice would be a view)
    for (const p of patches) out.set(littleEndianBytes(p.values), p.offset);
    return out;
  }
  // Fallback: decode a copy, replace the tensors, re-encode.
  const replacements = new Map(patches.map((p) => [p.init, p.values]));
  const copy = decodeModel(new Uint8Array(base.bytes));
  for (const t of copy.graph!.initializer ?? []) {
    const values = replacements.get(t.name ?? '');
    if (!values) continue;
    if (tensorSize(t) !== values.length)
      throw new Error(`writeBertOnnx: initializer '${t.name}' has ${tensorSize(t)} values, not ${values.length}`);
    t.rawData = littleEndianBytes(values);
    t.floatData = [];
    t.dataType = DataType.FLOAT;
  }
  return onnx.ModelProto.encode(copy).finish();
}
