// Page side of the model worker: typed calls that resolve to the loaded model or throw
// ModelLoadError (code + user message) for bad input. It holds no state of the page's (each
// call brings its bytes or URL): a restarted worker needs nothing re-sent.
import * as Comlink from 'comlink';
import { serviceClient } from './service-client';
import type { LoadedModel, ModelWorkerApi, Progress } from './model.worker';
import { MAX_MODEL_BYTES, tooLarge } from '../core/model/model-error';

export type { LoadedModel } from './model.worker';

const worker = serviceClient<ModelWorkerApi>(
  'model loader',
  () => new Worker(new URL('./model.worker.ts', import.meta.url), { type: 'module' }),
);

/** Workers resolve relative URLs against their own script URL: resolve against the page first. */
const absolute = (url: string) => new URL(url, document.baseURI).href;

const { request } = worker;

export function loadModelUrl(url: string, onProgress?: Progress): Promise<LoadedModel> {
  return request((api) => api.loadUrl(absolute(url), onProgress ? Comlink.proxy(onProgress) : undefined));
}

/** Stops a model download in progress; its loadModelUrl rejects with code 'cancelled'. */
export function cancelModelDownload(): Promise<void> {
  return request((api) => api.cancelDownload());
}

/** Loads a picked file; its bytes move to the worker (the File stays readable). */
export async function loadModelFile(file: File): Promise<LoadedModel> {
  if (file.size > MAX_MODEL_BYTES) tooLarge(file.size); // before reading it into memory
  const bytes = new Uint8Array(await file.arrayBuffer());
  return request((api) => api.loadBytes(Comlink.transfer(bytes, [bytes.buffer]), file.name));
}

/** A dense model with an .hpw file's matrices in place (retrained or recovered values). `base` and
 *  `hpw` are bytes (copied to the worker) or URLs (downloaded there). */
export function loadModelWithHPW(
  base: Uint8Array | string,
  hpw: Uint8Array | string,
  name: string,
  onProgress?: Progress,
): Promise<LoadedModel> {
  const arg = (x: Uint8Array | string) => (typeof x === 'string' ? absolute(x) : x.slice());
  return request((api) =>
    api.loadWithHPW(arg(base), arg(hpw), name, onProgress ? Comlink.proxy(onProgress) : undefined),
  );
}

/** Downloads a model (size and web-page checks, progress) without parsing it. */
export function downloadModel(url: string, onProgress?: Progress): Promise<Uint8Array> {
  return request((api) => api.download(absolute(url), onProgress ? Comlink.proxy(onProgress) : undefined));
}

/** Parses bytes already in the page (they move to the worker: pass a copy to keep them). */
export function loadModelBytes(bytes: Uint8Array, name: string): Promise<LoadedModel> {
  return request((api) => api.loadBytes(Comlink.transfer(bytes, [bytes.buffer]), name));
}
