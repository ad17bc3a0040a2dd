// Model and asset downloads are bounded (issue 18): a response without Content-Length is read
// only up to the limit, a stalled server is given up on, and the visitor can cancel. A local
// HTTP server plays each server; it counts what it managed to send.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../../src/lab/fetch-asset';
import { ModelLoadError, tooLarge, tooLargeDownload } from '../../../src/core/model/model-error';

const MB = 2 ** 20;
let server: Server;
let base = '';
const sent: Record<string, number> = {};

/** Streams 1 MB chunks without Content-Length for as long as the client reads (up to 200 MB). */
function endless(res: ServerResponse, key: string) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  sent[key] = 0;
  const chunk = Buffer.alloc(MB, 7);
  const pump = () => {
    while (sent[key] < 200 * MB) {
      sent[key] += MB;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('close', () => res.destroy());
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/endless') return endless(res, 'endless');
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': String(50 * MB) });
      return void res.end();
    }
    if (req.url === '/stall-headers') return; // never answers
    if (req.url === '/stall-body') {
      res.writeHead(200, { 'content-length': String(4 * MB) });
      res.write(Buffer.alloc(1000));
      return; // then nothing
    }
    if (req.url === '/small') return void res.end(Buffer.from('hello'));
    if (req.url === '/many-chunks') {
      // 8 MB in 2048 writes of 4 KB: far more chunks than progress reports should be.
      res.writeHead(200, { 'content-length': String(8 * MB) });
      for (let i = 0; i < 2048; i++) res.write(Buffer.alloc(4096, i & 255));
      return void res.end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return `${(err as ModelLoadError).code}: ${(err as ModelLoadError).userMessage}`;
  }
};
const model = {
  maxBytes: 4 * MB,
  tooLarge: (n: number, exact: boolean) => (exact ? tooLarge(n, 4 * MB) : tooLargeDownload(4 * MB)),
};

describe('bounded downloads', () => {
  it('stops reading a response without Content-Length at the limit', async () => {
    const got = await codeOf(download(`${base}/endless`, 'model', model));
    expect(got).toBe(
      'too-large: The model is over 4 MB (the download was stopped there), the browser limit here. ' +
        'Use a smaller (e.g. quantised) BERT.',
    );
    // The server could not push the 200 MB: reading stopped near the limit (socket buffers aside).
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.endless).toBeLessThan(64 * MB);
  });

  it('refuses a declared size over the limit before reading the body', async () => {
    expect(await codeOf(download(`${base}/declared`, 'model', model))).toMatch(
      /^too-large: The model is 50 MB; the browser limit here is 4 MB/,
    );
  });

  it('gives up on a server that never answers or stops sending', async () => {
    expect(await codeOf(download(`${base}/stall-headers`, 'model', { ...model, stallMs: 300 }))).toMatch(
      /^timeout: The server sent nothing for 0 s \(waiting for http/,
    );
    expect(await codeOf(download(`${base}/stall-body`, 'model', { ...model, stallMs: 300 }))).toMatch(
      /^timeout: The server sent nothing for 0 s \(reading http/,
    );
  });

  it('can be cancelled while waiting and while reading', async () => {
    const ctrl = new AbortController();
    const waiting = download(`${base}/stall-headers`, 'model', { ...model, signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 50);
    expect(await codeOf(waiting)).toBe('cancelled: The download of the model was cancelled.');
    const ctrl2 = new AbortController();
    const reading = download(`${base}/stall-body`, 'model', {
      ...model,
      signal: ctrl2.signal,
      onProgress: () => ctrl2.abort(),
    });
    expect(await codeOf(reading)).toBe('cancelled: The download of the model was cancelled.');
  });

  it('reports progress at most every 100 ms, and once at the end with every byte', async () => {
    const seen: [number, number | null][] = [];
    const t0 = performance.now();
    const bytes = await download(`${base}/many-chunks`, 'model', {
      ...model,
      maxBytes: 16 * MB,
      onProgress: (loaded, total) => seen.push([loaded, total]),
    });
    const elapsed = performance.now() - t0;
    expect(bytes.byteLength).toBe(8 * MB);
    expect(seen.at(-1)).toEqual([8 * MB, 8 * MB]);
    expect(seen.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2);
    expect(seen.every(([loaded], i) => i === 0 || loaded >= seen[i - 1][0])).toBe(true);
  });

  it('reads a small file and names a missing one', async () => {
    expect(new TextDecoder().decode(await download(`${base}/small`, 'model', model))).toBe('hello');
    expect(await codeOf(download(`${base}/nope`, 'dataset', model))).toMatch(
      /^not-found: Could not download the dataset from .* \(HTTP 404\)/,
    );
  });
});
