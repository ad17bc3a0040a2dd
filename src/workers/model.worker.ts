// Loads a BERT classifier (ONNX) off the main thread: download with progress or take the bytes
// of a picked file, parse and validate (core/model), and hand back the weights, the file bytes
// and the write-back sites as transferables.
import * as Comlink from 'comlink';
import { parseBertOnnx, type LinearSite } from '../core/model/bert-from-onnx';
import type { BertModel } from '../core/model/bert-types';
import { MAX_MODEL_BYTES, ModelLoadError, checkModelResponse, tooLarge } from '../core/model/model-error';
import { bertBuffers, summarizeBert, type ModelSummary } from '../core/model/summary';
import { capture, type WorkerResult } from './model-result';

export interface LoadedModel {
  model: BertModel;
  /** The ONNX file (what the eval worker and the writer take). */
  bytes: Uint8Array;
  sites: Map<string, LinearSite>;
  summary: ModelSummary;
  /** URL or file name it came from. */
  source: string;
  parseMs: number;
}

export type Progress = (loaded: number, total: number | null) => void;

async function download(url: string, onProgress?: Progress): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new ModelLoadError('not-found', `Could not download the model from ${url} (network error).`, String(err));
  }
  checkModelResponse(url, res.status, res.headers.get('content-type'));
  const total = Number(res.headers.get('content-length')) || null;
  if (total !== null && total > MAX_MODEL_BYTES) {
    await res.body?.cancel();
    tooLarge(total);
  }
  if (!res.body) {
    const whole = new Uint8Array(await res.arrayBuffer());
    checkModelResponse(url, res.status, null, whole);
    return whole;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  checkModelResponse(url, res.status, null, bytes);
  if (total !== null && loaded < total) throw new ModelLoadError('truncated', `The model download stopped early (${loaded} of ${total} bytes). Try again.`);
  return bytes;
}

function load(bytes: Uint8Array, source: string): LoadedModel {
  const t0 = performance.now();
  const parsed = parseBertOnnx(bytes);
  const summary = summarizeBert(parsed.model, bytes.byteLength, parsed.params, parsed.opset);
  return { model: parsed.model, bytes: parsed.bytes, sites: parsed.sites, summary, source, parseMs: performance.now() - t0 };
}

function transferable(r: WorkerResult<LoadedModel>): WorkerResult<LoadedModel> {
  if (!r.ok) return r;
  const buffers = new Set<ArrayBuffer>([...bertBuffers(r.value.model), r.value.bytes.buffer as ArrayBuffer]);
  return Comlink.transfer(r, [...buffers]);
}

const api = {
  async loadUrl(url: string, onProgress?: Progress): Promise<WorkerResult<LoadedModel>> {
    return transferable(await capture(async () => load(await download(url, onProgress), url)));
  },
  async loadBytes(bytes: Uint8Array, name: string): Promise<WorkerResult<LoadedModel>> {
    return transferable(await capture(() => load(bytes, name)));
  },
};

export type ModelWorkerApi = typeof api;
Comlink.expose(api);
