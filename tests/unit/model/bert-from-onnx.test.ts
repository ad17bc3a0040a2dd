import { describe, expect, test } from 'vitest';
import * as ort from 'onnxruntime-web';
import { buildTinyBertOnnx, type TinyBertOptions } from '../../helpers/tiny-bert-onnx';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { prunableLinears, type BertModel } from '../../../src/core/model/bert-types';
import { referenceForward } from '../../../src/core/model/reference-forward';

ort.env.wasm.numThreads = 1;

const ids = [2, 17, 5, 33, 9, 0, 0];
const mask = [1, 1, 1, 1, 1, 0, 0];
const types = [0, 0, 0, 1, 1, 0, 0];

async function ortLogits(bytes: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const out = await session.run({ input_ids: t(ids), attention_mask: t(mask), token_type_ids: t(types) });
  await session.release();
  return out.logits.data as Float32Array;
}

function expectSameWeights(parsed: BertModel, truth: BertModel): void {
  expect(parsed.config).toEqual({ ...truth.config, layerNormEps: expect.closeTo(truth.config.layerNormEps, 15) });
  const a = prunableLinears(parsed),
    b = prunableLinears(truth);
  expect(a.length).toBe(truth.config.layers * 6);
  a.forEach((lin, i) => {
    expect([lin.out, lin.in]).toEqual([b[i].out, b[i].in]);
    expect(lin.weight).toEqual(b[i].weight);
    expect(lin.bias).toEqual(b[i].bias);
  });
  expect(parsed.embeddings.word).toEqual(truth.embeddings.word);
  expect(parsed.embeddings.position).toEqual(truth.embeddings.position);
  expect(parsed.embeddings.tokenType).toEqual(truth.embeddings.tokenType);
  expect(parsed.layers[1].ln2.gamma).toEqual(truth.layers[1].ln2.gamma);
  expect(parsed.classifier.weight).toEqual(truth.classifier.weight);
  expect(parsed.pooler?.weight).toEqual(truth.pooler?.weight);
}

const variants: [string, TinyBertOptions][] = [
  ['decomposed LayerNorm, float embeddings (opset 14)', {}],
  [
    'fused LayerNormalization, int8 word table, Q/K scaling (opset 17)',
    { layerNorm: 'fused', wordEmbedding: 'int8', scaleQK: true, seed: 3 },
  ],
  [
    'fp16 word table behind Cast, no pooler, 3 layers, 4 heads',
    { wordEmbedding: 'fp16', pooler: false, layers: 3, hidden: 16, heads: 4, seed: 5 },
  ],
  ['three labels', { labels: 3, seed: 9 }],
  [
    "traced head reshapes (Concat of dynamic and constant dims), scale from Q's shape",
    { dynamicReshape: true, hidden: 12, heads: 3, seed: 17 },
  ],
  [
    'as scripts/train/export_onnx.py: per-row int8 words, sliced positions, MatMul head',
    { layerNorm: 'fused', wordEmbedding: 'int8-rows', positions: 'slice', head: 'matmul', seed: 13 },
  ],
];

describe('parseBertOnnx: structure, not names', () => {
  test.each(variants)('%s: weights, config and logits match onnxruntime', async (_, opts) => {
    const tiny = buildTinyBertOnnx(opts);
    const parsed = parseBertOnnx(tiny.bytes);
    expectSameWeights(parsed.model, tiny.model);
    expect(parsed.inputs).toEqual({
      inputIds: 'input_ids',
      attentionMask: 'attention_mask',
      tokenTypeIds: 'token_type_ids',
    });
    expect(parsed.output).toBe('logits');
    // The parsed weights drive a plain-TS forward pass to onnxruntime's logits: Q/K/V, the
    // transposes and the head count were all read right.
    const ref = referenceForward(parsed.model, {
      inputIds: ids,
      attentionMask: mask,
      tokenTypeIds: types,
      batch: 1,
      seq: ids.length,
    });
    const got = await ortLogits(tiny.bytes);
    expect(got.length).toBe(tiny.model.config.labels);
    got.forEach((v, i) => expect(ref[i]).toBeCloseTo(v, 4));
  });

  test('names the 24-matrix order layer-major with stable human names', () => {
    const parsed = parseBertOnnx(buildTinyBertOnnx({ layers: 4 }).bytes);
    const names = prunableLinears(parsed.model).map((l) => l.name);
    expect(names).toHaveLength(24);
    expect(names.slice(0, 6)).toEqual([
      'layer.0.attention.q',
      'layer.0.attention.k',
      'layer.0.attention.v',
      'layer.0.attention.out',
      'layer.0.ffn.in',
      'layer.0.ffn.out',
    ]);
    expect(names[23]).toBe('layer.3.ffn.out');
    // Each maps to the initializer that stores it, so a pruned model can be written back.
    expect(prunableLinears(parsed.model)[0].initializer).toBe('onnx::MatMul_encoder.layer.0.attention.self.query');
    expect(parsed.sites.get('classifier')).toMatchObject({ layout: 'W', writable: true });
    expect(parseBertOnnx(buildTinyBertOnnx({ head: 'matmul' }).bytes).sites.get('classifier')).toMatchObject({
      layout: 'WT',
      writable: true,
    });
    expect(parsed.sites.get('layer.0.attention.q')).toMatchObject({ layout: 'WT', writable: true });
  });
});
