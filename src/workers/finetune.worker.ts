// Fine-tuning in a worker (WebGPU exists in dedicated workers): holds the GPU lease, the model (a
// PruneSession), the tokenizer and the training sentences; `run` is lab/FineTuneExperiment.run
// with checkpoints in IndexedDB, so a reload can resume an interrupted run.
import * as Comlink from 'comlink';
import { GpuLease } from '../gpu/gpu-lease';
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { BertTokenizer } from '../core/model/tokenizer';
import { checkLabels, parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { FineTuneExperiment, type FineTuneRequest, type FineTuneRunResult } from '../lab/finetune-experiment';
import { FineTuneCancelledError, type FineTuneProgress } from '../lab/finetune';
import { idbCheckpointStore } from '../lab/finetune-checkpoints';
import { fetchBytes, fetchText } from '../lab/fetch-asset';
import { PruneSession } from '../lab/prune-session';
import { modelKey as keyOf } from '../lab/model-key';
import { capture, type WorkerResult } from './model-result';

export type { CheckpointInfo, FineTuneRequest, FineTuneRunResult } from '../lab/finetune-experiment';
export type { FineTuneProgress } from '../lab/finetune';

const lease = new GpuLease((self.navigator as Navigator & { gpu?: GPU }).gpu);
let session: PruneSession | undefined;
let modelKey = '';
let tokenizer: BertTokenizer | undefined;
let train: Dataset | undefined;
const running = new Map<number, AbortController>();

const api = {
  async init(): Promise<WorkerResult<{ adapter: string; software: boolean }>> {
    return capture(async () => {
      const { caps } = await lease.get();
      return { adapter: caps.label, software: caps.isFallbackAdapter };
    });
  },
  /** Parses the model; answers its key (SHA-256 of the bytes), which checkpoints are tied to. */
  async setModel(bytes: Uint8Array): Promise<WorkerResult<{ modelKey: string }>> {
    return capture(async () => {
      session = new PruneSession(parseBertOnnx(bytes));
      modelKey = await keyOf(bytes);
      return { modelKey };
    });
  },
  async loadTokenizer(url: string): Promise<WorkerResult<{ vocab: number }>> {
    return capture(async () => {
      tokenizer = BertTokenizer.fromJson(JSON.parse(await fetchText(url, 'tokenizer')));
      return { vocab: tokenizer.vocabSize };
    });
  },
  async loadTrain(url: string): Promise<WorkerResult<{ n: number }>> {
    return capture(async () => {
      const data = parseDatasetBytes(await fetchBytes(url, 'training set'), url);
      if (session) checkLabels(data, session.model.config.labels);
      train = data;
      return { n: data.texts.length };
    });
  },
  async run(id: number, req: Omit<FineTuneRequest, 'modelKey'>, onProgress?: (p: FineTuneProgress) => void): Promise<WorkerResult<FineTuneRunResult>> {
    const result = await capture(async (): Promise<FineTuneRunResult> => {
      if (!session) throw new ModelLoadError('empty', 'No model is loaded in the fine-tuning worker yet.');
      if (!tokenizer || !train) throw new ModelLoadError('bad-dataset', 'The fine-tuning worker has no tokenizer or training set yet.');
      const gpu = await lease.get();
      const ctl = new AbortController();
      running.set(id, ctl);
      try {
        return await gpu.guard(
          new FineTuneExperiment(gpu, session).run({ ...req, modelKey }, tokenizer, train, { signal: ctl.signal, onProgress, store: idbCheckpointStore }),
        );
      } finally {
        running.delete(id);
      }
    });
    return result.ok ? Comlink.transfer(result, [result.value.onnx.buffer as ArrayBuffer, result.value.hpw.buffer as ArrayBuffer]) : result;
  },
  cancel(id: number): void {
    running.get(id)?.abort();
  },
};

export { FineTuneCancelledError };
export type FineTuneWorkerApi = typeof api;
Comlink.expose(api);
