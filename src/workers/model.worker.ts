// Loads a BERT classifier (ONNX) off the main thread: download with progress (capped, with a
// stall timeout, cancellable: lab/fetch-asset.ts) or take the bytes
// of a picked file, parse and validate (core/model), and hand back the weights, the file bytes
// and the write-back sites as transferables.
import * as Comlink from 'comlink';
import { parseBertOnnx, type LinearSite } from '../core/model/bert-from-onnx';
import type { BertModel } from '../core/model/bert-types';
import {
  MAX_MODEL_BYTES,
  ModelLoadError,
  checkModelResponse,
  tooLarge,
  tooLargeDownload,
} from '../core/model/model-error';
import { download } from '../lab/fetch-asset';
import { bertBuffers, summarizeBert, type ModelSummary } from '../core/model/summary';
import { capture, type WorkerResult } from './model-result';
import { onnxWithHPW } from '../core/model/apply-hpw';
import { readWeightsFile } from '../core/formats/weights-file';

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

/** The download in progress (one at a time: the URL box is disabled meanwhile). */
let current: AbortController | null = null;

async function fetchModel(url: string, onProgress?: Progress): Promise<Uint8Array> {
  current?.abort();
  const ctrl = (current = new AbortController());
  try {
    return await download(url, 'model', {
      maxBytes: MAX_MODEL_BYTES,
      tooLarge: (bytes, exact) => (exact ? tooLarge(bytes) : tooLargeDownload()),
      // A web page (an SPA fallback for a missing file) is "no model here", not "not ONNX".
      check: (status, contentType, head) => checkModelResponse(url, status, contentType, head),
      signal: ctrl.signal,
      onProgress,
    });
  } finally {
    if (current === ctrl) current = null;
  }
}

/** An .hpw file: bounded like a model download (the file is smaller than the model it patches). */
function fetchHPW(url: string): Promise<Uint8Array> {
  return download(url, '.hpw file', {
    maxBytes: MAX_MODEL_BYTES,
    tooLarge: () => {
      throw new ModelLoadError('too-large', `The .hpw file at ${url} is larger than any model this page loads.`);
    },
    check: (status) => {
      if (status < 200 || status >= 300)
        throw new ModelLoadError('not-found', `No .hpw file at ${url} (HTTP ${status}).`);
    },
  });
}

function load(bytes: Uint8Array, source: string): LoadedModel {
  const t0 = performance.now();
  const parsed = parseBertOnnx(bytes);
  const summary = summarizeBert(parsed.model, bytes.byteLength, parsed.params, parsed.opset);
  return {
    model: parsed.model,
    bytes: parsed.bytes,
    sites: parsed.sites,
    summary,
    source,
    parseMs: performance.now() - t0,
  };
}

function transferable(r: WorkerResult<LoadedModel>): WorkerResult<LoadedModel> {
  if (!r.ok) return r;
  const buffers = new Set<ArrayBuffer>([...bertBuffers(r.value.model), r.value.bytes.buffer as ArrayBuffer]);
  return Comlink.transfer(r, [...buffers]);
}

const api = {
  async loadUrl(url: string, onProgress?: Progress): Promise<WorkerResult<LoadedModel>> {
    return transferable(await capture(async () => load(await fetchModel(url, onProgress), url)));
  },
  /** Stops the download in progress (its loadUrl fails with code 'cancelled'). */
  cancelDownload(): void {
    current?.abort();
  },
  /** Only the download (checked, with progress, cancellable): the page hands the bytes to the
   *  parser and to onnxruntime at the same time, so the first accuracy does not wait for the parse. */
  async download(url: string, onProgress?: Progress): Promise<WorkerResult<Uint8Array>> {
    const r = await capture(() => fetchModel(url, onProgress));
    return r.ok ? Comlink.transfer(r, [r.value.buffer as ArrayBuffer]) : r;
  },
  async loadBytes(bytes: Uint8Array, name: string): Promise<WorkerResult<LoadedModel>> {
    return transferable(await capture(() => load(bytes, name)));
  },
  /** A dense ONNX (bytes, or downloaded from a URL) with an .hpw file's matrices in place. */
  async loadWithHPW(
    base: Uint8Array | string,
    hpw: Uint8Array | string,
    name: string,
    onProgress?: Progress,
  ): Promise<WorkerResult<LoadedModel>> {
    return transferable(
      await capture(async () => {
        const onnx = typeof base === 'string' ? await fetchModel(base, onProgress) : base;
        const file = typeof hpw === 'string' ? await fetchHPW(hpw) : hpw;
        try {
          return load(onnxWithHPW(parseBertOnnx(onnx), readWeightsFile(file)), name);
        } catch (err) {
          if (err instanceof ModelLoadError) throw err;
          throw new ModelLoadError(
            'bad-hpw',
            `This .hpw file cannot be applied to the model: ${(err as Error).message}`,
            String(err),
          );
        }
      }),
    );
  },
};

export type ModelWorkerApi = typeof api;
Comlink.expose(api);
