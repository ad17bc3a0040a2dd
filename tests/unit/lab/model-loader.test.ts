// The model worker's service in Node: downloads over a real HTTP server (a web page where a model
// should be, a stalled download that is cancelled), parses, applies a weights file, and names
// the buffers that may be transferred.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../../src/core/model/model-error';
import { loadedBuffers, ModelLoader } from '../../../src/lab/model-loader';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

const model = buildTinyBertOnnx({ hidden: 8, ffn: 16 }).bytes;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/model.onnx') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.byteLength });
      res.end(Buffer.from(model));
    } else if (req.url === '/page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>app</title>');
    } else if (req.url === '/stall.onnx') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 1000 });
      res.write(Buffer.alloc(10)); // and never the rest
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ModelLoadError ? e.code : String(e)),
  );

describe('ModelLoader', () => {
  it('downloads and parses a model, with progress, and lists its buffers once each', async () => {
    const seen: number[] = [];
    const m = await new ModelLoader().loadUrl(`${base}/model.onnx`, (loaded) => seen.push(loaded));
    expect(m.summary.fileBytes).toBe(model.byteLength);
    expect(m.source).toBe(`${base}/model.onnx`);
    expect(seen.at(-1)).toBe(model.byteLength);
    const buffers = loadedBuffers(m);
    expect(new Set(buffers).size).toBe(buffers.length);
    expect(buffers).toContain(m.bytes.buffer);
  });

  it('says "no model here" for a web page and a 404', async () => {
    const loader = new ModelLoader();
    expect(await codeOf(loader.loadUrl(`${base}/page`))).toBe('not-found');
    expect(await codeOf(loader.download(`${base}/missing.onnx`))).toBe('not-found');
  });

  it('cancels a stalled download', async () => {
    const loader = new ModelLoader();
    const pending = codeOf(loader.loadUrl(`${base}/stall.onnx`));
    await new Promise((r) => setTimeout(r, 50));
    loader.cancelDownload();
    expect(await pending).toBe('cancelled');
  });

  it('refuses bytes that are not a model, and a weights file that does not fit, with their codes', async () => {
    const loader = new ModelLoader();
    expect(await codeOf(Promise.resolve().then(() => loader.loadBytes(new Uint8Array([1, 2, 3]), 'x.onnx')))).toMatch(
      /^(not-onnx|truncated)$/,
    );
    expect(await codeOf(loader.loadWithHPW(model.slice(), new Uint8Array(64), 'm.hpw'))).toBe('bad-hpw');
  });
});
