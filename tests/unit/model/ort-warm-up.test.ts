// onnxruntime starts while the page downloads the model (issue 17): warmUpOrt starts the runtime
// once, a session made while it runs waits for it instead of failing, and ORT's own thread
// workers (which load the same bundle) never start a second runtime.
import { afterEach, expect, test, vi } from 'vitest';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const tiny = buildTinyBertOnnx({ layers: 1, hidden: 16, heads: 2, ffn: 32, vocab: 40 }).bytes;

afterEach(() => {
  delete (globalThis as { name?: string }).name;
  vi.restoreAllMocks();
  vi.resetModules();
});

test('starts the runtime once; a session asked for meanwhile is made after it', async () => {
  const ort = await import('onnxruntime-web');
  const { configureOrt, createBertSession, warmUpOrt } = await import('../../../src/eval/ort-session');
  configureOrt({ threads: 1 });
  const create = vi.spyOn(ort.InferenceSession, 'create');
  const warming = warmUpOrt();
  expect(warmUpOrt()).toBe(warming);
  const session = await createBertSession(tiny, { backend: 'wasm' });
  expect(session.backend).toBe('wasm');
  // The warm-up's tiny model first, then the real one (never two starts at once).
  expect(create).toHaveBeenCalledTimes(2);
  expect((create.mock.calls[0][0] as Uint8Array).byteLength).toBe(65);
  expect((create.mock.calls[1][0] as Uint8Array).byteLength).toBe(tiny.byteLength);
  await session.release();
}, 60_000);

test("does nothing in onnxruntime's own thread workers (named em-pthread…)", async () => {
  (globalThis as { name?: string }).name = 'em-pthread-3';
  const ort = await import('onnxruntime-web');
  const { warmUpOrt } = await import('../../../src/eval/ort-session');
  const create = vi.spyOn(ort.InferenceSession, 'create');
  await warmUpOrt();
  expect(create).not.toHaveBeenCalled();
});
