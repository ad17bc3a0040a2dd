// Accuracy with onnxruntime-web: holds the tokenizer, the dataset and a session of the base
// model; a pruned variant arrives as ONNX bytes, gets a session for one evaluation and is
// released. Cancellable by id. The eval worker exposes it; Node code can use it as is.
import { checkLabels, parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { BertTokenizer } from '../core/model/tokenizer';
import { evaluateSession, type EvalResult } from '../eval/accuracy';
import { createBertSession, type BertSession, type OrtBackend } from '../eval/ort-session';
import { predictText, type Prediction } from '../eval/predict';
import { fetchBytes, fetchText, parseJson } from './fetch-asset';

export interface DatasetInfo {
  n: number;
  labelCount: number;
  name: string;
}
export interface SessionInfo {
  backend: OrtBackend;
  fallbackReason?: string;
}
export interface EvalRequest {
  /** A variant's ONNX bytes; the base model's session when absent. */
  bytes?: Uint8Array;
  limit?: number;
  /** The quick sample of this many sentences (core/data/quick-sample.ts) instead of the first ones. */
  quick?: number;
  batch?: number;
  maxLength?: number;
  backend?: 'auto' | OrtBackend;
}
export type EvalSummary = Omit<EvalResult, 'logits'> & { cancelled?: false };

export interface ModelTiming {
  batch: number;
  seq: number;
  ms: number;
  reps: number;
  backend: OrtBackend;
}

export class EvalSession {
  private tokenizer: BertTokenizer | undefined;
  private dataset: Dataset | undefined;
  private base: BertSession | undefined;
  /** A pruned model kept for single sentences (the page's try-a-sentence box). */
  private variant: BertSession | undefined;
  private readonly running = new Map<number, AbortController>();

  /** tokenizer.json (and tokenizer_config.json beside it, when given) from URLs. */
  async loadTokenizer(url: string, configUrl?: string): Promise<{ vocab: number }> {
    // Both requests at once: a response waits for this worker's thread, which onnxruntime's start
    // can hold for seconds on a loaded machine (the config's 600 bytes took 4.5 s, asked second).
    const [text, configText] = await Promise.all([
      fetchText(url, 'tokenizer'),
      configUrl ? fetchText(configUrl, 'tokenizer config') : undefined,
    ]);
    const json = parseJson(text, 'tokenizer file');
    const config =
      configText !== undefined ? (parseJson(configText, 'tokenizer config') as Record<string, unknown>) : {};
    this.tokenizer = BertTokenizer.fromJson(json, config);
    return { vocab: this.tokenizer.vocabSize };
  }

  /** A dataset from a URL, or from the bytes of a picked file (decoded by dataset-text.ts's
   *  rules). Replaces the current one only on success. */
  async loadDataset(
    source: { url: string } | { bytes: Uint8Array; name: string },
    modelLabels?: number,
  ): Promise<DatasetInfo> {
    const name = 'url' in source ? source.url : source.name;
    const bytes = 'url' in source ? await fetchBytes(source.url, 'dataset') : source.bytes;
    const d = parseDatasetBytes(bytes, name);
    if (modelLabels !== undefined) checkLabels(d, modelLabels);
    this.dataset = d;
    return { n: d.texts.length, labelCount: d.labelCount, name };
  }

  /** The base model: one session, reused by every evaluation without `bytes`. */
  async setModel(bytes: Uint8Array, backend: 'auto' | OrtBackend = 'auto'): Promise<SessionInfo> {
    const next = await createBertSession(bytes, { backend });
    await this.base?.release();
    this.base = next;
    return { backend: next.backend, fallbackReason: next.fallbackReason };
  }

  /** Accuracy on the loaded dataset; `id` lets cancel() stop it between batches. */
  async evaluate(
    id: number,
    req: EvalRequest,
    onProgress?: (done: number, total: number) => void,
  ): Promise<EvalSummary> {
    const { tokenizer, dataset } = this;
    if (!tokenizer) throw new ModelLoadError('bad-tokenizer', 'No tokenizer is loaded yet.');
    if (!dataset) throw new ModelLoadError('bad-dataset', 'No dataset is loaded yet.');
    const ctl = new AbortController();
    this.running.set(id, ctl);
    try {
      const own = req.bytes
        ? await createBertSession(req.bytes, { backend: req.backend ?? this.base?.backend ?? 'auto' })
        : undefined;
      try {
        const session = own ?? this.base;
        if (!session) throw new ModelLoadError('empty', 'No model is loaded yet.');
        const { logits: _drop, ...rest } = await evaluateSession(session, tokenizer, dataset, {
          ...req,
          signal: ctl.signal,
          onProgress,
        });
        return rest;
      } finally {
        await own?.release();
      }
    } finally {
      this.running.delete(id);
    }
  }

  cancel(id: number): void {
    this.running.get(id)?.abort();
  }

  /** The pruned model single sentences are compared with; null drops it. */
  async setVariant(bytes: Uint8Array | null): Promise<true> {
    const next = bytes ? await createBertSession(bytes, { backend: this.base?.backend ?? 'auto' }) : undefined;
    await this.variant?.release();
    this.variant = next;
    return true;
  }

  /** One sentence through the base model and, when set, the pruned variant. */
  async predict(text: string, maxLength = 128): Promise<{ dense: Prediction; pruned?: Prediction }> {
    const { tokenizer, base, variant } = this;
    if (!tokenizer) throw new ModelLoadError('bad-tokenizer', 'No tokenizer is loaded yet.');
    if (!base) throw new ModelLoadError('empty', 'No model is loaded yet.');
    const dense = await predictText(base, tokenizer, text, maxLength);
    return { dense, pruned: variant ? await predictText(variant, tokenizer, text, maxLength) : undefined };
  }

  /** Wall time of one forward of the base model on a batch x seq of random tokens (median;
   *  repetitions sized to about `budgetMs`, at least 3): the CPU row of the device choice. */
  async timeModel(batch: number, seq: number, budgetMs = 3000): Promise<ModelTiming> {
    const base = this.base;
    if (!base) throw new ModelLoadError('empty', 'No model is loaded yet.');
    if (!(Number.isInteger(batch) && batch >= 1 && Number.isInteger(seq) && seq >= 2)) {
      throw new RangeError(`batch x seq must be positive integers (seq >= 2), got ${batch} x ${seq}`);
    }
    const n = batch * seq;
    let s = 7;
    const next = () => (s = (s * 1103515245 + 12345) >>> 0) % 20000;
    const inputIds = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % seq === 0 ? 101 : 1000 + next()));
    const input = {
      batch,
      seqLen: seq,
      inputIds,
      attentionMask: new BigInt64Array(n).fill(1n),
      tokenTypeIds: new BigInt64Array(n),
    };
    const t0 = performance.now();
    await base.run(input); // warm-up, also sizes the repetitions
    const reps = Math.max(3, Math.min(20, Math.floor(budgetMs / Math.max(1, performance.now() - t0))));
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await base.run(input);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { batch, seq, ms: times[times.length >> 1], reps, backend: base.backend };
  }
}
