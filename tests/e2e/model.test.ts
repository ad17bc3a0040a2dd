// The model panel in a real browser: the shipped model loads in a worker, its architecture and
// 24 matrices show, dense accuracy on the dev split matches the CLI's (same onnxruntime-web
// code, wasm), and a bad file leaves the model in place with a clear message.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, screenshot, type Session } from './helpers/browser';
import { evaluateOnnx } from '../../src/eval/accuracy';
import { configureOrt } from '../../src/eval/ort-session';
import { defaultModelPath, readDataset, readModelBytes, readTokenizer } from '../../src/eval/node-assets';

describe('model panel', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'));
  });
  afterAll(async () => s?.close());

  it('loads the shipped model and shows its architecture and the 24 prunable matrices', async () => {
    const summary = s.page.getByTestId('model-summary');
    await summary.waitFor({ timeout: 120_000 });
    expect(await summary.innerText()).toMatch(/4 layers, hidden 312, 12 heads, FFN 1200/);
    expect(await s.page.getByTestId('matrices-table').locator('tbody tr').count()).toBe(24);
  });

  it('measures dense accuracy on the dev split, equal to the CLI (Node, wasm) within one sentence', async () => {
    const value = s.page.getByTestId('accuracy-value');
    await value.waitFor({ timeout: 180_000 });
    const text = await s.page.getByTestId('accuracy').innerText();
    const [, correct, n] = text.match(/\((\d+)\/(\d+)\)/)!.map(Number);
    configureOrt({ threads: 1 });
    const node = await evaluateOnnx(readModelBytes(defaultModelPath()), readTokenizer(), readDataset(), { batch: 32 });
    expect(n).toBe(node.n);
    expect(Math.abs(correct - node.correct)).toBeLessThanOrEqual(1);
    expect(await s.page.getByTestId('eval-backend').innerText()).toMatch(/WebAssembly|WebGPU/);
    await screenshot(s.page, 'model-panel');
  });

  it('refuses a file that is not a model and keeps the loaded one', async () => {
    await s.page.getByTestId('model-file').setInputFiles({ name: 'notes.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('just some text, not ONNX') });
    const err = s.page.getByTestId('model-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.innerText()).toMatch(/not an ONNX model.*previous model is still loaded/s);
    expect(await s.page.getByTestId('model-summary').innerText()).toMatch(/hidden 312/);
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
