// Fine-tuning as a service (the fine-tuning worker exposes it, workers/finetune.worker.ts): holds
// the GPU lease, the model (a PruneSession) and its key, the tokenizer and the training sentences;
// `run` is FineTuneExperiment.run on them with checkpoints in IndexedDB, cancellable by id.
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { BertTokenizer } from '../core/model/tokenizer';
import { checkLabels, parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { GpuLease } from '../gpu/gpu-lease';
import type { FineTuneProgress } from './finetune';
import { idbCheckpointStore } from './finetune-checkpoints';
import { FineTuneExperiment, type FineTuneRequest, type FineTuneRunResult } from './finetune-experiment';
import { fetchBytes, fetchText } from './fetch-asset';
import { modelKey } from './model-key';
import { PruneSession } from './prune-session';

export class FineTuneService {
  private readonly lease: GpuLease;
  private session: PruneSession | undefined;
  private modelKey = '';
  private tokenizer: BertTokenizer | undefined;
  private train: Dataset | undefined;
  private readonly running = new Map<number, AbortController>();

  constructor(gpu: GPU | undefined) {
    this.lease = new GpuLease(gpu);
  }

  /** Acquires the GPU; rejects with the reason when there is none. */
  async init(): Promise<{ adapter: string; software: boolean }> {
    const { caps } = await this.lease.get();
    return { adapter: caps.label, software: caps.isFallbackAdapter };
  }

  /** Parses the model; answers its key (SHA-256 of the bytes), which checkpoints are tied to. */
  async setModel(bytes: Uint8Array): Promise<{ modelKey: string }> {
    this.session = new PruneSession(parseBertOnnx(bytes));
    this.modelKey = await modelKey(bytes);
    return { modelKey: this.modelKey };
  }

  async loadTokenizer(url: string): Promise<{ vocab: number }> {
    this.tokenizer = BertTokenizer.fromJson(JSON.parse(await fetchText(url, 'tokenizer')));
    return { vocab: this.tokenizer.vocabSize };
  }

  async loadTrain(url: string): Promise<{ n: number }> {
    const data = parseDatasetBytes(await fetchBytes(url, 'training set'), url);
    if (this.session) checkLabels(data, this.session.model.config.labels);
    this.train = data;
    return { n: data.texts.length };
  }

  async run(
    id: number,
    req: Omit<FineTuneRequest, 'modelKey'>,
    onProgress?: (p: FineTuneProgress) => void,
  ): Promise<FineTuneRunResult> {
    const { session, tokenizer, train } = this;
    if (!session) throw new ModelLoadError('empty', 'No model is loaded in the fine-tuning worker yet.');
    if (!tokenizer || !train)
      throw new ModelLoadError('bad-dataset', 'The fine-tuning worker has no tokenizer or training set yet.');
    const gpu = await this.lease.get();
    const ctl = new AbortController();
    this.running.set(id, ctl);
    try {
      const experiment = new FineTuneExperiment(gpu, session);
      return await gpu.guard(
        experiment.run({ ...req, modelKey: this.modelKey }, tokenizer, train, {
          signal: ctl.signal,
          onProgress,
          store: idbCheckpointStore,
        }),
      );
    } finally {
      this.running.delete(id);
    }
  }

  cancel(id: number): void {
    this.running.get(id)?.abort();
  }
}
