// Page side of the eval worker: accuracy with progress, cancellable. Bytes sent for a variant are
// copied, so the caller keeps its own. A worker that stops without an error event is noticed
// at once (its life lock, life-lock.ts) and restarted, and a restarted worker gets back its
// tokenizer, dataset and model before any other call reaches it.
import * as Comlink from 'comlink';
import { spawnWorker } from './spawn';
import { checkDatasetSize } from '../core/data/dataset-text';
import { unwrap, type WorkerResult } from './model-result';
import type { DatasetInfo, EvalRequest, EvalSummary, EvalWorkerApi, ModelTiming, SessionInfo } from './eval.worker';

export type { DatasetInfo, EvalRequest, EvalSummary, ModelTiming, SessionInfo } from './eval.worker';

type Remote = Comlink.Remote<EvalWorkerApi>;
type DatasetSource = { url: string } | { bytes: Uint8Array; name: string };

/** What the worker holds, kept here to restore it after a restart (copies of the bytes). */
const held: { tokenizer?: [string, string | undefined]; dataset?: [DatasetSource, number | undefined]; model?: Uint8Array } = {};
let restoring: Promise<unknown> = Promise.resolve();

async function restore(api: Remote): Promise<void> {
  if (held.tokenizer) await api.loadTokenizer(...held.tokenizer);
  if (held.dataset) {
    const [source, labels] = held.dataset;
    if ('bytes' in source) {
      const bytes = source.bytes.slice();
      await api.loadDataset(Comlink.transfer({ bytes, name: source.name }, [bytes.buffer]), labels);
    } else await api.loadDataset(source, labels);
  }
  if (held.model) await api.setModel(held.model.slice());
}

const worker = spawnWorker<EvalWorkerApi>('evaluation', () => new Worker(new URL('./eval.worker.ts', import.meta.url), { type: 'module' }), {
  liveness: { hold: (api, lock) => (api as Remote).holdLifeLock(lock) },
  onRestart: (api) => {
    restoring = restore(api as Remote).catch(() => {}); // a failure shows on the next call
  },
});
let nextId = 1;

/** Workers resolve relative URLs against their own script URL: resolve against the page first. */
const absolute = (url: string) => new URL(url, document.baseURI).href;

/** Calls the worker and rethrows its captured error as the typed error it was. */
async function request<T>(fn: (api: Remote) => unknown): Promise<T> {
  await restoring;
  return unwrap(await worker.call((api) => fn(api) as Promise<WorkerResult<T>>));
}

/** Runs a state-setting request and remembers its input once it succeeded. */
async function holding<T>(fn: (api: Remote) => unknown, remember: () => void): Promise<T> {
  const r = await request<T>(fn);
  remember();
  return r;
}

export function loadTokenizer(url: string, configUrl?: string): Promise<{ vocab: number }> {
  const args: [string, string | undefined] = [absolute(url), configUrl && absolute(configUrl)];
  return holding((api) => api.loadTokenizer(...args), () => (held.tokenizer = args));
}

/** `modelLabels`: refuse (and keep the current dataset) when its labels do not fit the model. */
export function loadDatasetUrl(url: string, modelLabels?: number): Promise<DatasetInfo> {
  const source = { url: absolute(url) };
  return holding((api) => api.loadDataset(source, modelLabels), () => (held.dataset = [source, modelLabels]));
}

/** The file's bytes go to the worker, which decodes them by the CLI's rules (dataset-text.ts). */
export async function loadDatasetFile(file: File, modelLabels?: number): Promise<DatasetInfo> {
  checkDatasetSize(file.size, `The dataset ${file.name}`); // before reading it into memory
  const bytes = new Uint8Array(await file.arrayBuffer());
  const kept = bytes.slice();
  return holding(
    (api) => api.loadDataset(Comlink.transfer({ bytes, name: file.name }, [bytes.buffer]), modelLabels),
    () => (held.dataset = [{ bytes: kept, name: file.name }, modelLabels]),
  );
}

/** The base model's session (WebGPU or wasm; the answer says which and why). */
export function setEvalModel(bytes: Uint8Array): Promise<SessionInfo> {
  const copy = bytes.slice();
  const kept = bytes.slice();
  return holding((api) => api.setModel(Comlink.transfer(copy, [copy.buffer])), () => (held.model = kept));
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
  const result = request<EvalSummary>((api) => api.evaluate(id, payload, onProgress ? Comlink.proxy(onProgress) : undefined));
  return { result, cancel: () => void worker.call((api) => api.cancel(id)) };
}

/** Median wall time of the loaded model on batch x seq random tokens (onnxruntime-web). */
export function timeModel(batch: number, seq: number): Promise<ModelTiming> {
  return request<ModelTiming>((api) => api.timeModel(batch, seq));
}
