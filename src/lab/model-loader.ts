// Loading a BERT classifier (ONNX) as a service (the model worker exposes it,
// workers/model.worker.ts): download with progress (capped, with a stall timeout, cancellable:
// fetch-asset.ts) or take the bytes of a picked file, parse and validate (core/model), and answer
// the weights, the file bytes and the write-back sites; or a dense model with an .hpw file's
// matrices in place. Bad input fails with ModelLoadError (a code and a message for the visitor).
import { parseBertOnnx, type LinearSite } from '../core/model/bert-from-onnx';
import type { BertModel } from '../core/model/bert-types';
import {
  MAX_MODEL_BYTES,
  ModelLoadError,
  checkModelResponse,
  tooLarge,
  tooLargeDownload,
} from '../core/model/model-error';
import { bertBuffers, summarizeBert, type ModelSummary } from '../core/model/summary';
import { onnxWithHPW } from '../core/model/apply-hpw';
import { readWeightsFile } from '../core/formats/weights-file';
import { download } from './fetch-asset';

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

/** A weights file (.hpw or .spw): bounded like a model download (smaller than the model it patches). */
function fetchHPW(url: string): Promise<Uint8Array> {
  const what = url.endsWith('.spw') ? '.spw file' : '.hpw file';
  return download(url, what, {
    maxBytes: MAX_MODEL_BYTES,
    tooLarge: () => {
      throw new ModelLoadError('too-large', `The ${what} at ${url} is larger than any model this page loads.`);
    },
    check: (status) => {
      if (status < 200 || status >= 300)
        throw new ModelLoadError('not-found', `No ${what} at ${url} (HTTP ${status}).`);
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

/** Every buffer a LoadedModel holds (weights and file bytes), once each: what can be transferred. */
export function loadedBuffers(m: LoadedModel): ArrayBuffer[] {
  return [...new Set<ArrayBuffer>([...bertBuffers(m.model), m.bytes.buffer as ArrayBuffer])];
}

export class ModelLoader {
  /** The download in progress (one at a time: the URL box is disabled meanwhile). */
  private current: AbortController | null = null;

  /** A checked model download; a new one stops the one in progress. (#private: not a method of
   *  the service, so the worker endpoint does not expose it.) */
  async #fetchModel(url: string, onProgress?: Progress): Promise<Uint8Array> {
    this.current?.abort();
    const ctrl = (this.current = new AbortController());
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
      if (this.current === ctrl) this.current = null;
    }
  }

  async loadUrl(url: string, onProgress?: Progress): Promise<LoadedModel> {
    return load(await this.#fetchModel(url, onProgress), url);
  }

  /** Stops the download in progress (its loadUrl fails with code 'cancelled'). */
  cancelDownload(): void {
    this.current?.abort();
  }

  /** Only the download (checked, with progress, cancellable): the page hands the bytes to the
   *  parser and to onnxruntime at the same time, so the first accuracy does not wait for the parse. */
  download(url: string, onProgress?: Progress): Promise<Uint8Array> {
    return this.#fetchModel(url, onProgress);
  }

  loadBytes(bytes: Uint8Array, name: string): LoadedModel {
    return load(bytes, name);
  }

  /** A dense ONNX (bytes, or downloaded from a URL) with a weights file's (.hpw or .spw) matrices in place. */
  async loadWithHPW(
    base: Uint8Array | string,
    hpw: Uint8Array | string,
    name: string,
    onProgress?: Progress,
  ): Promise<LoadedModel> {
    const onnx = typeof base === 'string' ? await this.#fetchModel(base, onProgress) : base;
    const file = typeof hpw === 'string' ? await fetchHPW(hpw) : hpw;
    try {
      return load(onnxWithHPW(parseBertOnnx(onnx), readWeightsFile(file)), name);
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(
        'bad-hpw',
        `This weights file cannot be applied to the model: ${(err as Error).message}`,
        String(err),
      );
    }
  }
}
