// "Run on my GPU" in a worker (WebGPU exists in dedicated workers in Chromium): holds the GPU
// lease, the model (a PruneSession), the tokenizer and the dataset; `run` is
// lab/EncoderExperiment.run.
import * as Comlink from 'comlink';
import { GpuLease } from '../gpu/gpu-lease';
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { EvalCancelledError } from '../eval/accuracy';
import { EncoderExperiment, type EncoderRunRequest, type EncoderRunResult } from '../lab/encoder-experiment';
import { fetchBytes, fetchText } from '../lab/fetch-asset';
import { PruneSession } from '../lab/prune-session';
import { capture, type WorkerResult } from './model-result';

export type { EncoderRunRequest, EncoderRunResult } from '../lab/encoder-experiment';

const lease = new GpuLease((self.navigator as Navigator & { gpu?: GPU }).gpu);
let session: PruneSession | undefined;
let tokenizer: BertTokenizer | undefined;
let dataset: Dataset | undefined;
const running = new Map<number, AbortController>();

const api = {
  async init(): Promise<WorkerResult<{ adapter: string; timestamps: boolean }>> {
    return capture(async () => {
      const { caps } = await lease.get();
      return { adapter: caps.label, timestamps: caps.hasTimestampQuery };
    });
  },
  async setModel(bytes: Uint8Array): Promise<WorkerResult<{ layers: number; hidden: number }>> {
    return capture(() => {
      session = new PruneSession(parseBertOnnx(bytes));
      return { layers: session.model.config.layers, hidden: session.model.config.hidden };
    });
  },
  async loadTokenizer(url: string): Promise<WorkerResult<{ vocab: number }>> {
    return capture(async () => {
      tokenizer = BertTokenizer.fromJson(JSON.parse(await fetchText(url, 'tokenizer')));
      return { vocab: tokenizer.vocabSize };
    });
  },
  async loadDataset(url: string): Promise<WorkerResult<{ n: number }>> {
    return capture(async () => {
      dataset = parseDatasetBytes(await fetchBytes(url, 'dataset'), url);
      return { n: dataset.texts.length };
    });
  },
  async run(id: number, req: EncoderRunRequest, onProgress?: (done: number, total: number) => void): Promise<WorkerResult<EncoderRunResult>> {
    const result = await capture(async (): Promise<EncoderRunResult> => {
      if (!session) throw new ModelLoadError('empty', 'No model is loaded in the GPU worker yet.');
      if (!tokenizer || !dataset) throw new ModelLoadError('bad-dataset', 'The GPU worker has no tokenizer or dataset yet.');
      const gpu = await lease.get();
      const ctl = new AbortController();
      running.set(id, ctl);
      try {
        return await new EncoderExperiment(gpu, session).run(req, tokenizer, dataset, { signal: ctl.signal, onProgress });
      } finally {
        running.delete(id);
      }
    });
    return result.ok && result.value.prunedOnnx ? Comlink.transfer(result, [result.value.prunedOnnx.buffer as ArrayBuffer]) : result;
  },
  cancel(id: number): void {
    running.get(id)?.abort();
  },
};

export { EvalCancelledError };
export type EncoderWorkerApi = typeof api;
Comlink.expose(api);
