import { expect, test } from 'vitest';
import * as ort from 'onnxruntime-web';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { writeBertOnnx } from '../../../src/core/model/onnx-writer';
import { prunableLinears, type Linear } from '../../../src/core/model/bert-types';
import { referenceForward } from '../../../src/core/model/reference-forward';

ort.env.wasm.numThreads = 1;

/** Zeroes every other input column: a stand-in for a pruning mask. */
function pruneHalf(lin: Linear): Linear {
  const weight = lin.weight.map((v, i) => ((i % lin.in) % 2 === 0 ? 0 : v));
  return { ...lin, weight, bias: lin.bias.map((b) => b * 0.5) };
}

test('writeBertOnnx patches only the given weights; the result parses back and runs', async () => {
  const tiny = buildTinyBertOnnx({ seed: 11 });
  const base = parseBertOnnx(tiny.bytes);
  const pruned = prunableLinears(base.model).map(pruneHalf);
  const bytes = writeBertOnnx(base, pruned);

  expect(bytes.length).toBe(tiny.bytes.length);
  // Patched in place: every site has its raw_data offset, and a structured clone (what a worker
  // receives) writes the same bytes.
  expect([...base.sites.values()].every((s) => s.weightOffset !== undefined && s.biasOffset !== undefined)).toBe(true);
  expect(writeBertOnnx(structuredClone({ bytes: base.bytes, sites: base.sites }), pruned)).toEqual(bytes);
  expect(tiny.bytes).toEqual(buildTinyBertOnnx({ seed: 11 }).bytes); // base untouched
  const again = parseBertOnnx(bytes);
  prunableLinears(again.model).forEach((lin, i) => {
    expect(lin.weight).toEqual(pruned[i].weight);
    expect(lin.bias).toEqual(pruned[i].bias);
  });
  expect(again.model.classifier.weight).toEqual(base.model.classifier.weight);
  expect(again.model.embeddings.word).toEqual(base.model.embeddings.word);

  // onnxruntime on the written bytes equals the reference forward of the pruned model.
  const ids = [3, 8, 21, 4],
    mask = [1, 1, 1, 1];
  const session = await ort.InferenceSession.create(bytes);
  const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const got = (await session.run({ input_ids: t(ids), attention_mask: t(mask), token_type_ids: t([0, 0, 0, 0]) }))
    .logits.data as Float32Array;
  const prunedModel = structuredClone(base.model);
  prunedModel.layers.forEach((layer, l) =>
    (['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const).forEach((k, j) => (layer[k] = pruned[l * 6 + j])),
  );
  const want = referenceForward(prunedModel, { inputIds: ids, attentionMask: mask, batch: 1, seq: 4 });
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  const original = referenceForward(base.model, { inputIds: ids, attentionMask: mask, batch: 1, seq: 4 });
  expect(Math.abs(original[0] - want[0]) + Math.abs(original[1] - want[1])).toBeGreaterThan(1e-3);
});

test('writeBertOnnx re-encodes when weights are not raw_data views of the file', () => {
  const tiny = buildTinyBertOnnx({ seed: 12 });
  const base = parseBertOnnx(tiny.bytes);
  // Sites without offsets (as for tensors stored in float_data): the re-encoding fallback runs.
  const sites = new Map([...base.sites].map(([k, v]) => [k, { ...v, weightOffset: undefined, biasOffset: undefined }]));
  const detached = { bytes: base.bytes, sites };
  const pruned = prunableLinears(base.model).slice(0, 2).map(pruneHalf);
  const again = parseBertOnnx(writeBertOnnx(detached, pruned));
  expect(again.model.layers[0].q.weight).toEqual(pruned[0].weight);
  expect(again.model.layers[0].k.weight).toEqual(pruned[1].weight);
  expect(again.model.layers[0].v.weight).toEqual(base.model.layers[0].v.weight);
});

test('writeBertOnnx rejects unknown names and wrong sizes', () => {
  const base = parseBertOnnx(buildTinyBertOnnx().bytes);
  const q = base.model.layers[0].q;
  expect(() => writeBertOnnx(base, [{ ...q, name: 'nope' }])).toThrow(/no linear named/);
  expect(() => writeBertOnnx(base, [{ ...q, weight: new Float32Array(3) }])).toThrow(/wrong size/);
});
