import { expect, test } from 'vitest';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { bertBuffers, summarizeBert } from '../../../src/core/model/summary';
import { defaultModelFile } from '../../../src/core/model/manifest';
import { ModelLoadError } from '../../../src/core/model/model-error';
import { capture, unwrap } from '../../../src/workers/model-result';

test('summary counts the prunable matrices and the transfer list has no duplicate buffer', () => {
  const p = parseBertOnnx(buildTinyBertOnnx({ layers: 3, hidden: 8, ffn: 16 }).bytes);
  const s = summarizeBert(p.model, p.bytes.byteLength, p.params, p.opset);
  expect(s.matrices).toHaveLength(18);
  expect(s.prunableParams).toBe(3 * (4 * 8 * 8 + 2 * 8 * 16));
  expect(s.totalParams).toBeGreaterThan(s.prunableParams);
  const buffers = bertBuffers(p.model);
  expect(new Set(buffers).size).toBe(buffers.length);
  // Every array of the model is covered (its buffer is in the list): nothing is cloned.
  expect(buffers).toContain(p.model.layers[2].ffnOut.weight.buffer);
  expect(buffers).toContain(p.model.embeddings.word.buffer);
  // The structured clone a worker returns keeps the model intact.
  const clone = structuredClone({ model: p.model, sites: p.sites });
  expect(clone.model.layers[1].q.weight).toEqual(p.model.layers[1].q.weight);
  expect(clone.sites.get('layer.1.attention.q')).toEqual(p.sites.get('layer.1.attention.q'));
});

test('manifest: default, first entry, objects, bare names', () => {
  expect(defaultModelFile({ default: 'a.onnx', models: ['b.onnx'] })).toBe('a.onnx');
  expect(defaultModelFile({ models: ['models/b.onnx'] })).toBe('b.onnx');
  expect(defaultModelFile({ models: [{ file: 'c.onnx' }] })).toBe('c.onnx');
  expect(defaultModelFile({ models: [{ name: 'tinybert' }] })).toBe('tinybert.onnx');
  expect(defaultModelFile({})).toBeUndefined();
});

test('worker results carry ModelLoadError code and user message across the boundary', async () => {
  const failed = await capture(() => {
    throw new ModelLoadError('not-bert', 'Not a BERT.', 'node X');
  });
  const copied = structuredClone(failed); // what postMessage does
  try {
    unwrap(copied);
    throw new Error('unwrap did not throw');
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('not-bert');
    expect((err as ModelLoadError).userMessage).toBe('Not a BERT.');
  }
  expect(unwrap(structuredClone(await capture(async () => 42)))).toBe(42);
  const plain = await capture(() => {
    throw new TypeError('boom');
  });
  expect(() => unwrap(plain)).toThrow('boom');
});
