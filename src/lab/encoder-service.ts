// "Run on my GPU" as a service (the GPU worker exposes it, workers/encoder.worker.ts): holds the
// GPU lease, the model (a PruneSession), the tokenizer and the dataset; `run` is
// EncoderExperiment.run on them, cancellable by id.
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { GpuLease } from '../gpu/gpu-lease';
import { EncoderExperiment, type EncoderRunRequest, type EncoderRunResult } from './encoder-experiment';
import { fetchBytes, fetchText } from './fetch-asset';
import { PruneSession } from './prune-session';

export class EncoderService {
  private readonly lease: GpuLease;
  private session: PruneSession | undefined;
  private tokenizer: BertTokenizer | undefined;
  private dataset: Dataset | undefined;
  private readonly running = new Map<number, AbortController>();

  constructor(gpu: GPU | undefined) {
    this.lease = new GpuLease(gpu);
  }

  /** Acquires the GPU; rejects with the reason when there is none. */
  async init(): Promise<{ adapter: string; timestamps: boolean }> {
    const { caps } = await this.lease.get();
    return { adapter: caps.label, timestamps: caps.hasTimestampQuery };
  }

  setModel(bytes: Uint8Array): { layers: number; hidden: number } {
    this.session = new PruneSession(parseBertOnnx(bytes));
    return { layers: this.session.model.config.layers, hidden: this.session.model.config.hidden };
  }

  async loadTokenizer(url: string): Promise<{ vocab: number }> {
    this.tokenizer = BertTokenizer.fromJson(JSON.parse(await fetchText(url, 'tokenizer')));
    return { vocab: this.tokenizer.vocabSize };
  }

  async loadDataset(url: string): Promise<{ n: number }> {
    this.dataset = parseDatasetBytes(await fetchBytes(url, 'dataset'), url);
    return { n: this.dataset.texts.length };
  }

  async run(
    id: number,
    req: EncoderRunRequest,
    onProgress?: (done: number, total: number) => void,
  ): Promise<EncoderRunResult> {
    const { session, tokenizer, dataset } = this;
    if (!session) throw new ModelLoadError('empty', 'No model is loaded in the GPU worker yet.');
    if (!tokenizer || !dataset)
      throw new ModelLoadError('bad-dataset', 'The GPU worker has no tokenizer or dataset yet.');
    const gpu = await this.lease.get();
    const ctl = new AbortController();
    this.running.set(id, ctl);
    try {
      return await new EncoderExperiment(gpu, session).run(req, tokenizer, dataset, { signal: ctl.signal, onProgress });
    } finally {
      this.running.delete(id);
    }
  }

  cancel(id: number): void {
    this.running.get(id)?.abort();
  }
}
