// Page side of the fine-tuning worker. Model bytes are copied (the caller keeps its own); the
// trained ONNX and .hpw come back as transferables. The model, tokenizer and training set are
// kept: a restarted worker gets them again before the next run. The worker starts on first use
// (most visits never fine-tune, and it carries the whole trainer).
import * as Comlink from 'comlink';
import { serviceClient, type ServiceClient } from './service-client';
import { idbCheckpointStore } from '../lab/finetune-checkpoints';
import type {
  CheckpointInfo,
  FineTuneProgress,
  FineTuneRequest,
  FineTuneRunResult,
  FineTuneWorkerApi,
  UnlabelledInfo,
} from './finetune.worker';

export type {
  CheckpointInfo,
  FineTuneProgress,
  FineTuneRequest,
  FineTuneRunResult,
  UnlabelledInfo,
} from './finetune.worker';

let client: ServiceClient<FineTuneWorkerApi> | undefined;
const worker = () =>
  (client ??= serviceClient<FineTuneWorkerApi>(
    'fine-tuning',
    () => new Worker(new URL('./finetune.worker.ts', import.meta.url), { type: 'module' }),
  ));
let nextId = 1;

const absolute = (url: string) => new URL(url, document.baseURI).href;

/** Acquires the GPU in the worker; rejects with the reason when there is none. */
export function initFineTune(): Promise<{ adapter: string; software: boolean }> {
  return worker().request((api) => api.init());
}

/** Sends the model, tokenizer and training set; answers the model's key (checkpoints are tied to it). */
export async function prepareFineTune(
  bytes: Uint8Array,
  tokenizerUrl: string,
  trainUrl: string,
): Promise<{ modelKey: string; trainSentences: number }> {
  const own = bytes.slice();
  const { modelKey } = await worker().keep('model', (api) => {
    const copy = own.slice();
    return api.setModel(Comlink.transfer(copy, [copy.buffer]));
  });
  await worker().keep('tokenizer', (api) => api.loadTokenizer(absolute(tokenizerUrl)));
  const { n } = await worker().keep('train', (api) => api.loadTrain(absolute(trainUrl)));
  return { modelKey, trainSentences: n };
}

/** Fetches and cuts the review sentences in the worker (once; lab/unlabelled-reviews), excluding
 *  the evaluation sets' sentences; answers their count and tokens at `maxLength`. */
export function loadUnlabelled(
  url: string,
  evalUrls: string[],
  maxLength: number,
  onProgress?: (loaded: number, total: number | null) => void,
): Promise<UnlabelledInfo> {
  return worker().request((api) =>
    api.loadUnlabelled(
      absolute(url),
      evalUrls.map(absolute),
      maxLength,
      onProgress ? Comlink.proxy(onProgress) : undefined,
    ),
  );
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

export function runFineTune(
  req: Omit<FineTuneRequest, 'modelKey'>,
  onProgress?: (p: FineTuneProgress) => void,
): RunningFineTune {
  const id = nextId++;
  const result = worker().request((api) => api.run(id, req, onProgress ? Comlink.proxy(onProgress) : undefined));
  return {
    result,
    cancel: () =>
      void worker()
        .request((api) => api.cancel(id))
        .catch(() => undefined),
  };
}
