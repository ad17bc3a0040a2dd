// Page side of the fine-tuning worker. Model bytes are copied (the caller keeps its own); the
// trained ONNX and .hpw come back as transferables.
import * as Comlink from 'comlink';
import { spawnWorker, type ManagedWorker } from './spawn';
import { idbCheckpointStore } from '../lab/finetune-checkpoints';
import { unwrap, type WorkerResult } from './model-result';
import type { CheckpointInfo, FineTuneProgress, FineTuneRequest, FineTuneRunResult, FineTuneWorkerApi } from './finetune.worker';

export type { CheckpointInfo, FineTuneProgress, FineTuneRequest, FineTuneRunResult } from './finetune.worker';

// Started on first use: most visits never fine-tune, and the worker carries the whole trainer.
let managed: ManagedWorker<FineTuneWorkerApi> | undefined;
const worker = {
  call: <R>(fn: (api: Comlink.Remote<FineTuneWorkerApi>) => Promise<R>) =>
    (managed ??= spawnWorker<FineTuneWorkerApi>('fine-tuning', () => new Worker(new URL('./finetune.worker.ts', import.meta.url), { type: 'module' }))).call(fn),
};
let nextId = 1;

const absolute = (url: string) => new URL(url, document.baseURI).href;

async function request<T>(fn: (api: Comlink.Remote<FineTuneWorkerApi>) => unknown): Promise<T> {
  return unwrap(await worker.call((api) => fn(api) as Promise<WorkerResult<T>>));
}

/** Acquires the GPU in the worker; rejects with the reason when there is none. */
export function initFineTune(): Promise<{ adapter: string; software: boolean }> {
  return request((api) => api.init());
}

/** Sends the model, tokenizer and training set; answers the model's key (checkpoints are tied to it). */
export async function prepareFineTune(bytes: Uint8Array, tokenizerUrl: string, trainUrl: string): Promise<{ modelKey: string; trainSentences: number }> {
  const copy = bytes.slice();
  const { modelKey } = await request<{ modelKey: string }>((api) => api.setModel(Comlink.transfer(copy, [copy.buffer])));
  await request((api) => api.loadTokenizer(absolute(tokenizerUrl)));
  const { n } = await request<{ n: number }>((api) => api.loadTrain(absolute(trainUrl)));
  return { modelKey, trainSentences: n };
}

/** The interrupted run kept in IndexedDB, if any (read here: no need to start the worker). */
export function pendingFineTune(): Promise<CheckpointInfo | null> {
  return idbCheckpointStore.latest();
}

export function discardFineTune(): Promise<void> {
  return idbCheckpointStore.clear();
}

export interface RunningFineTune {
  result: Promise<FineTuneRunResult>;
  cancel(): void;
}

export function runFineTune(req: Omit<FineTuneRequest, 'modelKey'>, onProgress?: (p: FineTuneProgress) => void): RunningFineTune {
  const id = nextId++;
  const result = request<FineTuneRunResult>((api) => api.run(id, req, onProgress ? Comlink.proxy(onProgress) : undefined));
  return { result, cancel: () => void worker.call((api) => api.cancel(id)) };
}
