// Page side of the GPU worker: the whole model on the visitor's GPU through the project's WGSL
// engine. Model bytes are copied (the caller keeps its own); the pruned ONNX comes back. The
// model, tokenizer and dataset are kept: a restarted worker gets them again before the next run.
import * as Comlink from 'comlink';
import { serviceClient } from './service-client';
import type { EncoderRunRequest, EncoderRunResult, EncoderWorkerApi } from './encoder.worker';

export type { EncoderRunProfile, EncoderRunRequest, EncoderRunResult } from './encoder.worker';

const worker = serviceClient<EncoderWorkerApi>(
  'GPU encoder',
  () => new Worker(new URL('./encoder.worker.ts', import.meta.url), { type: 'module' }),
  { lazy: true }, // started by the visitor's first measurement
);
let nextId = 1;

const absolute = (url: string) => new URL(url, document.baseURI).href;

/** Acquires the GPU in the worker; rejects with the reason when there is none. */
export function initEncoder(): Promise<{ adapter: string; timestamps: boolean }> {
  return worker.request((api) => api.init());
}

export async function prepareEncoder(bytes: Uint8Array, tokenizerUrl: string, dataUrl: string): Promise<void> {
  const own = bytes.slice();
  await worker.keep('model', (api) => {
    const copy = own.slice();
    return api.setModel(Comlink.transfer(copy, [copy.buffer]));
  });
  await worker.keep('tokenizer', (api) => api.loadTokenizer(absolute(tokenizerUrl)));
  await worker.keep('dataset', (api) => api.loadDataset(absolute(dataUrl)));
}

export interface RunningEncoder {
  result: Promise<EncoderRunResult>;
  cancel(): void;
}

export function runEncoder(req: EncoderRunRequest, onProgress?: (done: number, total: number) => void): RunningEncoder {
  const id = nextId++;
  const result = worker.request((api) => api.run(id, req, onProgress ? Comlink.proxy(onProgress) : undefined));
  return { result, cancel: () => void worker.request((api) => api.cancel(id)).catch(() => undefined) };
}
