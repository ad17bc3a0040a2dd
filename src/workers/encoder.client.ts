// Page side of the encoder worker: the whole model on the visitor's GPU through the project's
// WGSL engine. Model bytes are copied (the caller keeps its own); the pruned ONNX comes back.
import * as Comlink from 'comlink';
import { spawnWorker } from './spawn';
import { unwrap, type WorkerResult } from './model-result';
import type { EncoderRunRequest, EncoderRunResult, EncoderWorkerApi } from './encoder.worker';

export type { EncoderRunRequest, EncoderRunResult } from './encoder.worker';

const worker = spawnWorker<EncoderWorkerApi>('GPU encoder', () => new Worker(new URL('./encoder.worker.ts', import.meta.url), { type: 'module' }));
let nextId = 1;

const absolute = (url: string) => new URL(url, document.baseURI).href;

async function request<T>(fn: (api: Comlink.Remote<EncoderWorkerApi>) => unknown): Promise<T> {
  return unwrap(await worker.call((api) => fn(api) as Promise<WorkerResult<T>>));
}

/** Acquires the GPU in the worker; rejects with the reason when there is none. */
export function initEncoder(): Promise<{ adapter: string; timestamps: boolean }> {
  return request((api) => api.init());
}

export async function prepareEncoder(bytes: Uint8Array, tokenizerUrl: string, dataUrl: string): Promise<void> {
  const copy = bytes.slice();
  await request((api) => api.setModel(Comlink.transfer(copy, [copy.buffer])));
  await request((api) => api.loadTokenizer(absolute(tokenizerUrl)));
  await request((api) => api.loadDataset(absolute(dataUrl)));
}

export interface RunningEncoder {
  result: Promise<EncoderRunResult>;
  cancel(): void;
}

export function runEncoder(req: EncoderRunRequest, onProgress?: (done: number, total: number) => void): RunningEncoder {
  const id = nextId++;
  const result = request<EncoderRunResult>((api) => api.run(id, req, onProgress ? Comlink.proxy(onProgress) : undefined));
  return { result, cancel: () => void worker.call((api) => api.cancel(id)) };
}
