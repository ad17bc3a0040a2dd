// Page side of the eval worker: accuracy with progress, cancellable. Bytes sent for a variant are
// copied, so the caller keeps its own. A worker that stops without an error event is noticed
// at once (its life lock, life-lock.ts) and restarted; the tokenizer, dataset and base model are
// kept: a restarted worker gets them again before any other call (service-client.ts).
import * as Comlink from 'comlink';
import { serviceClient } from './service-client';
import { checkDatasetSize } from '../core/data/dataset-text';
import type { DatasetInfo, EvalRequest, EvalSummary, EvalWorkerApi, ModelTiming, SessionInfo } from './eval.worker';

import type { Prediction } from '../eval/predict';

export type { DatasetInfo, EvalRequest, EvalSummary, ModelTiming, SessionInfo } from './eval.worker';
export type { Prediction } from '../eval/predict';

const worker = serviceClient<EvalWorkerApi>(
  'evaluation',
  () => new Worker(new URL('./eval.worker.ts', import.meta.url), { type: 'module' }),
  {
    liveness: { hold: (api, lock) => (api as Comlink.Remote<EvalWorkerApi>).holdLifeLock(lock) },
  },
);
let nextId = 1;

/** Workers resolve relative URLs against their own script URL: resolve against the page first. */
const absolute = (url: string) => new URL(url, document.baseURI).href;

export function loadTokenizer(url: string, configUrl?: string): Promise<{ vocab: number }> {
  return worker.keep('tokenizer', (api) => api.loadTokenizer(absolute(url), configUrl && absolute(configUrl)));
}

/** `modelLabels`: refuse (and keep the current dataset) when its labels do not fit the model. */
export function loadDatasetUrl(url: string, modelLabels?: number): Promise<DatasetInfo> {
  return worker.keep('dataset', (api) => api.loadDataset({ url: absolute(url) }, modelLabels));
}

/** The file's bytes go to the worker, which decodes them by the CLI's rules (dataset-text.ts). */
export async function loadDatasetFile(file: File, modelLabels?: number): Promise<DatasetInfo> {
  checkDatasetSize(file.size, `The dataset ${file.name}`); // before reading it into memory
  const own = new Uint8Array(await file.arrayBuffer());
  return worker.keep('dataset', (api) => {
    const bytes = own.slice();
    return api.loadDataset(Comlink.transfer({ bytes, name: file.name }, [bytes.buffer]), modelLabels);
  });
}

/** The base model's session (WebGPU or wasm; the answer says which and why). */
export function setEvalModel(bytes: Uint8Array): Promise<SessionInfo> {
  const own = bytes.slice();
  return worker.keep('model', (api) => {
    const copy = own.slice();
    return api.setModel(Comlink.transfer(copy, [copy.buffer]));
  });
}

export interface RunningEval {
  result: Promise<EvalSummary>;
  cancel(): void;
}

/** Starts an evaluation; `req.bytes` (a pruned variant) is copied to the worker. */
export function evaluate(req: EvalRequest, onProgress?: (done: number, total: number) => void): RunningEval {
  const id = nextId++;
  const copy = req.bytes?.slice();
  const payload = copy ? Comlink.transfer({ ...req, bytes: copy }, [copy.buffer]) : req;
  const result = worker.request((api) => api.evaluate(id, payload, onProgress ? Comlink.proxy(onProgress) : undefined));
  return { result, cancel: () => void worker.request((api) => api.cancel(id)).catch(() => undefined) };
}

/** Median wall time of the loaded model on batch x seq random tokens (onnxruntime-web). */
export function timeModel(batch: number, seq: number): Promise<ModelTiming> {
  return worker.request((api) => api.timeModel(batch, seq));
}

/** The pruned model the try-a-sentence box compares with (bytes copied; kept across a worker
 *  restart like the base model); null drops it. */
export function setVariantModel(bytes: Uint8Array | null): Promise<true> {
  const own = bytes?.slice();
  return worker.keep('variant', (api) => {
    const copy = own?.slice();
    return api.setVariant(copy ? Comlink.transfer(copy, [copy.buffer]) : null);
  });
}

/** One sentence through the dense model and the pruned variant (when one is set). */
export function predictSentence(text: string, maxLength?: number): Promise<{ dense: Prediction; pruned?: Prediction }> {
  return worker.request((api) => api.predict(text, maxLength));
}
