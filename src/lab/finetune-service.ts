// Fine-tuning as a service (the fine-tuning worker exposes it, workers/finetune.worker.ts): holds
// the GPU lease, the model (a PruneSession) and its key, the tokenizer and the training sentences;
// `run` is FineTuneExperiment.run on them with checkpoints in IndexedDB, cancellable by id. The
// unlabelled review sentences (lab/unlabelled-reviews) are fetched only when a run asks for them.
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
import { unlabelledSentences } from './unlabelled-reviews';

/** What the page shows of the loaded review sentences: their count and tokens at a max length. */
export interface UnlabelledInfo {
  sentences: number;
  /** Tokens of all sentences, each cut at `maxLength` ([CLS] and [SEP] included; estimated from a sample). */
  tokens: number;
  maxLength: number;
  /** The gzip file's size. */
  bytes: number;
}

export class FineTuneService {
  private readonly lease: GpuLease;
  private session: PruneSession | undefined;
  private modelKey = '';
  private tokenizer: BertTokenizer | undefined;
  private train: Dataset | undefined;
  private unlabelled: { url: string; sentences: string[]; bytes: number } | undefined;
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

  /** Fetches the reviews at `url` (gzip), cuts them into sentences, none of those of the files at
   *  `evalUrls` (dev, test); kept for later runs. `onProgress`: bytes of the download. */
  async loadUnlabelled(
    url: string,
    evalUrls: string[],
    maxLength: number,
    onProgress?: (loaded: number, total: number | null) => void,
  ): Promise<UnlabelledInfo> {
    const tokenizer = this.tokenizer;
    if (!tokenizer) throw new ModelLoadError('bad-dataset', 'The fine-tuning worker has no tokenizer yet.');
    if (this.unlabelled?.url !== url) {
      const bytes = await fetchBytes(url, 'review sentences', onProgress);
      const evalSets = await Promise.all(evalUrls.map((u) => fetchBytes(u, 'evaluation set')));
      const exclude = evalSets.flatMap((b, i) => parseDatasetBytes(b, evalUrls[i]).texts);
      const sentences = await unlabelledSentences(bytes, url, exclude);
      this.unlabelled = { url, sentences, bytes: bytes.length };
    }
    const { sentences, bytes } = this.unlabelled;
    // Tokens per epoch for the cost estimate (cut at maxLength as the trainer cuts them), from up
    // to 2,000 evenly spaced sentences: tokenizing all ~48,000 here would cost seconds.
    const every = Math.max(1, Math.floor(sentences.length / 2000));
    let sampled = 0;
    let sampledTokens = 0;
    for (let i = 0; i < sentences.length; i += every, sampled++)
      sampledTokens += tokenizer.encode(sentences[i], maxLength).length;
    const tokens = Math.round((sampledTokens / sampled) * sentences.length);
    return { sentences: sentences.length, tokens, maxLength, bytes };
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
    const k = req.unlabelled ?? 0;
    if (k > (this.unlabelled?.sentences.length ?? 0))
      throw new ModelLoadError('bad-dataset', `The run asks for ${k} review sentences; load them first.`);
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
          unlabelled: k ? this.unlabelled!.sentences.slice(0, k) : undefined,
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
