// Accuracy in a worker with onnxruntime-web: WebGPU when the visitor has a GPU and ORT's WebGPU
// backend starts, wasm otherwise (the result says which). Holds the tokenizer, the dataset and
// a session of the base model; pruned variants arrive as ONNX bytes (from writeBertOnnx), get a
// session of their own for one evaluation, and are never fetched from disk.
import * as Comlink from 'comlink';
import { checkLabels, parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { ModelLoadError } from '../core/model/model-error';
import { BertTokenizer } from '../core/model/tokenizer';
import { EvalCancelledError, evaluateSession, type EvalResult } from '../eval/accuracy';
import { configureOrt, createBertSession, type BertSession, type OrtBackend } from '../eval/ort-session';
import { capture, type WorkerResult } from './model-result';
import { fetchBytes, fetchText } from './fetch-asset';

export interface DatasetInfo { n: number; labelCount: number; name: string }
export interface SessionInfo { backend: OrtBackend; fallbackReason?: string }
export interface EvalRequest {
  /** A variant's ONNX bytes; the base model's session when absent. */
  bytes?: Uint8Array;
  limit?: number;
  batch?: number;
  maxLength?: number;
  backend?: 'auto' | OrtBackend;
}
export type EvalSummary = Omit<EvalResult, 'logits'> & { cancelled?: false };

let tokenizer: BertTokenizer | undefined;
let dataset: Dataset | undefined;
let base: BertSession | undefined;
const running = new Map<number, AbortController>();
configureOrt();

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelLoadError('bad-tokenizer', `The ${what} is not valid JSON.`);
  }
}

const api = {
  /** tokenizer.json (and tokenizer_config.json beside it, when present) from URLs. */
  async loadTokenizer(url: string, configUrl?: string): Promise<WorkerResult<{ vocab: number }>> {
    return capture(async () => {
      const json = parseJson(await fetchText(url, 'tokenizer'), 'tokenizer file');
      const config = configUrl ? (parseJson(await fetchText(configUrl, 'tokenizer config'), 'tokenizer config') as Record<string, unknown>) : {};
      tokenizer = BertTokenizer.fromJson(json, config);
      return { vocab: tokenizer.vocabSize };
    });
  },
  /** A dataset from a URL, or from the text of a picked file. Replaces the current one only on success. */
  async loadDataset(source: { url: string } | { bytes: Uint8Array; name: string }, modelLabels?: number): Promise<WorkerResult<DatasetInfo>> {
    return capture(async () => {
      const name = 'url' in source ? source.url : source.name;
      const bytes = 'url' in source ? await fetchBytes(source.url, 'dataset') : source.bytes;
      const d = parseDatasetBytes(bytes, name);
      if (modelLabels !== undefined) checkLabels(d, modelLabels);
      dataset = d;
      return { n: d.texts.length, labelCount: d.labelCount, name };
    });
  },
  /** The base model: one session, reused by every evaluation without `bytes`. */
  async setModel(bytes: Uint8Array, backend: 'auto' | OrtBackend = 'auto'): Promise<WorkerResult<SessionInfo>> {
    return capture(async () => {
      const next = await createBertSession(bytes, { backend });
      await base?.release();
      base = next;
      return { backend: next.backend, fallbackReason: next.fallbackReason };
    });
  },
  /** Accuracy on the loaded dataset; `id` lets cancel() stop it between batches. */
  async evaluate(id: number, req: EvalRequest, onProgress?: (done: number, total: number) => void): Promise<WorkerResult<EvalSummary>> {
    return capture(async () => {
      if (!tokenizer) throw new ModelLoadError('bad-tokenizer', 'No tokenizer is loaded yet.');
      if (!dataset) throw new ModelLoadError('bad-dataset', 'No dataset is loaded yet.');
      const ctl = new AbortController();
      running.set(id, ctl);
      const own = req.bytes ? await createBertSession(req.bytes, { backend: req.backend ?? base?.backend ?? 'auto' }) : undefined;
      const session = own ?? base;
      try {
        if (!session) throw new ModelLoadError('empty', 'No model is loaded yet.');
        const { logits: _drop, ...rest } = await evaluateSession(session, tokenizer, dataset, { ...req, signal: ctl.signal, onProgress });
        return rest;
      } finally {
        running.delete(id);
        await own?.release();
      }
    });
  },
  cancel(id: number): void {
    running.get(id)?.abort();
  },
  /** Wall time of one forward of the loaded model on a batch x seq of random tokens (median;
   *  repetitions sized to about `budgetMs`, at least 3): the CPU row of the device choice. */
  async timeModel(batch: number, seq: number, budgetMs = 3000): Promise<WorkerResult<ModelTiming>> {
    return capture(async () => {
      if (!base) throw new ModelLoadError('empty', 'No model is loaded yet.');
      if (!(Number.isInteger(batch) && batch >= 1 && Number.isInteger(seq) && seq >= 2)) throw new RangeError(`batch x seq must be positive integers (seq >= 2), got ${batch} x ${seq}`);
      const n = batch * seq;
      let s = 7;
      const inputIds = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % seq === 0 ? 101 : 1000 + ((s = (s * 1103515245 + 12345) >>> 0) % 20000)));
      const input = { batch, seqLen: seq, inputIds, attentionMask: new BigInt64Array(n).fill(1n), tokenTypeIds: new BigInt64Array(n) };
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
    });
  },
};

export interface ModelTiming {
  batch: number;
  seq: number;
  ms: number;
  reps: number;
  backend: OrtBackend;
}

export { EvalCancelledError };
export type EvalWorkerApi = typeof api;
Comlink.expose(api);
