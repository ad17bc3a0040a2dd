// Two settings of the first seconds (issue 17): the preview server sends model files as stored
// (typed binary, so its compression middleware leaves them alone and the Content-Length is
// kept), and onnxruntime's wasm threads leave the page a core.
import { expect, test } from 'vitest';
import { typeBinaries } from '../../../scripts/vite/binary-types';
import { pageWasmThreads } from '../../../src/eval/ort-session';

function typeOf(url: string): string | undefined {
  const headers = new Map<string, string>();
  let passed = false;
  const res = { setHeader: (k: string, v: string) => headers.set(k.toLowerCase(), v) };
  typeBinaries({ url } as never, res as never, () => (passed = true));
  expect(passed).toBe(true);
  return headers.get('content-type');
}

test('model files are typed application/octet-stream; everything else is left to the file server', () => {
  expect(typeOf('/models/tinybert-rt.onnx')).toBe('application/octet-stream');
  expect(typeOf('/sub/models/retrained/hp-32x32-80.hpw?v=2')).toBe('application/octet-stream');
  expect(typeOf('/models/retrained/unstructured-90.SPW#x')).toBe('application/octet-stream');
  expect(typeOf('/models/manifest.json')).toBeUndefined();
  expect(typeOf('/data/dev.jsonl')).toBeUndefined();
  expect(typeOf('/onnx/index.html')).toBeUndefined();
});

test('wasm threads: one per core but one, at most 4; one without cross-origin isolation', () => {
  expect(pageWasmThreads(true, 2)).toBe(1);
  expect(pageWasmThreads(true, 1)).toBe(1);
  expect(pageWasmThreads(true, undefined)).toBe(1);
  expect(pageWasmThreads(true, 4)).toBe(3);
  expect(pageWasmThreads(true, 16)).toBe(4);
  expect(pageWasmThreads(false, 16)).toBe(1);
});
