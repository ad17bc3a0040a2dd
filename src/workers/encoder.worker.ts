// The WGSL encoder engine in a worker (WebGPU exists in dedicated workers in Chromium): holds
// the GPU device, the parsed model, the tokenizer and the dataset; `run` prunes with the
// panel's configuration, measures accuracy through the engine (HP-sparse linears when the
// pattern is HP-structured, the masked dense weights otherwise) and times the engine with
// HP-sparse vs dense linears. It also returns the pruned ONNX, so the page can run
// onnxruntime-web on exactly the same weights beside it.
import * as Comlink from 'comlink';
import { acquireGpu, type AcquiredGpu } from '../gpu/adapter';
import { createEncoderEngine, type EncoderEngine } from '../gpu/encoder';
import type { WeightPrecision } from '../gpu/kernels';
import { engineSession } from '../gpu/encoder/session';
import { parseBertOnnx, type OnnxBert } from '../core/model/bert-from-onnx';
import { prunableLinears, type BertModel } from '../core/model/bert-types';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { fetchBytes, fetchText } from './fetch-asset';
import { ModelLoadError } from '../core/model/model-error';
import type { HPMatrix } from '../core/formats/hp';
import { applyMask, matrixInputs, pruneMatrices, type PruneConfig } from '../core/pruning';
import { writeBertOnnx } from '../core/model/onnx-writer';
import { EvalCancelledError, evaluateSession } from '../eval/accuracy';
import { capture, type WorkerResult } from './model-result';

export interface EncoderRunRequest {
  /** Null: the dense model. */
  pruning: PruneConfig | null;
  limit?: number;
  /** Sentences per engine run (default 32); tokens per sentence (default 128). */
  batch?: number;
  maxLength?: number;
  latency: { batch: number; seq: number; reps?: number };
  /** How the engine stores its linears' weights on the GPU (default f32; f16 halves them). */
  weights?: WeightPrecision;
}

export interface EncoderRunResult {
  adapter: string;
  achievedSparsity: number;
  /** 'hp': the HP kernels ran; 'dense': dense kernels on masked weights (and why). */
  linears: 'hp' | 'dense';
  note?: string;
  accuracy: number;
  correct: number;
  n: number;
  ms: number;
  sentencesPerSecond: number;
  latency: { batch: number; seq: number; denseMs: number; hpMs: number | null; timing: 'timestamp' | 'wall' };
  weights: WeightPrecision;
  /** Bytes of weights (and HP indices) the evaluated engine keeps on the GPU, and its linears' part. */
  weightBytes: number;
  linearWeightBytes: number;
  /** The pruned model as ONNX (absent for the dense model): for onnxruntime-web beside the engine. */
  prunedOnnx?: Uint8Array;
}

let gpu: Promise<AcquiredGpu> | undefined;
let onnx: OnnxBert | undefined;
let tokenizer: BertTokenizer | undefined;
let dataset: Dataset | undefined;
const running = new Map<number, AbortController>();

const HP_PATTERNS = new Set(['hp', 'tile', 'vector']);

function device(): Promise<AcquiredGpu> {
  gpu ??= acquireGpu((self.navigator as Navigator & { gpu?: GPU }).gpu).then((g) => {
    // A lost device is re-acquired on the next run.
    void g.device.lost.then(() => (gpu = undefined));
    return g;
  });
  return gpu;
}

function withWeights(model: BertModel, weights: Map<string, Float32Array>): BertModel {
  return {
    ...model,
    layers: model.layers.map((layer) => {
      const copy = { ...layer };
      for (const kind of ['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const) {
        const w = weights.get(layer[kind].name);
        if (w) copy[kind] = { ...layer[kind], weight: w };
      }
      return copy;
    }),
  };
}

const api = {
  async init(): Promise<WorkerResult<{ adapter: string; timestamps: boolean }>> {
    return capture(async () => {
      const { caps } = await device();
      return { adapter: caps.label, timestamps: caps.hasTimestampQuery };
    });
  },
  async setModel(bytes: Uint8Array): Promise<WorkerResult<{ layers: number; hidden: number }>> {
    return capture(() => {
      onnx = parseBertOnnx(bytes);
      return { layers: onnx.model.config.layers, hidden: onnx.model.config.hidden };
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
      if (!onnx) throw new ModelLoadError('empty', 'No model is loaded in the GPU worker yet.');
      if (!tokenizer || !dataset) throw new ModelLoadError('bad-dataset', 'The GPU worker has no tokenizer or dataset yet.');
      const { device: dev, caps } = await device();
      const model = onnx.model;
      const ctl = new AbortController();
      running.set(id, ctl);
      const engines: EncoderEngine[] = [];
      try {
        let sparse: Map<string, HPMatrix> | null = null;
        let evalModel = model;
        let achievedSparsity = 0;
        let note: string | undefined;
        let prunedOnnx: Uint8Array | undefined;
        if (req.pruning) {
          const pruned = pruneMatrices(matrixInputs(model), req.pruning);
          achievedSparsity = pruned.achievedSparsity;
          const linears = prunableLinears(model);
          const masked = linears.map((l, i) => ({ ...l, weight: applyMask(l.weight, pruned.matrices[i].mask) }));
          prunedOnnx = writeBertOnnx(onnx, masked);
          if (HP_PATTERNS.has(req.pruning.pattern) && req.pruning.tr % 4 === 0) {
            sparse = new Map(pruned.matrices.map((m) => [m.name, m.hp!]));
          } else {
            evalModel = withWeights(model, new Map(masked.map((l) => [l.name, l.weight])));
            note = HP_PATTERNS.has(req.pruning.pattern)
              ? `tile rows ${req.pruning.tr} are not a multiple of 4 (the HP kernel's vector width): dense kernels on the masked weights`
              : `pattern '${req.pruning.pattern}' has no HP structure: dense kernels on the masked weights`;
          }
        }
        const maxLength = req.maxLength ?? 128;
        const batch = req.batch ?? 32;
        const maxBatch = Math.max(batch, req.latency.batch);
        const maxSeq = Math.max(maxLength, req.latency.seq);
        const weights = req.weights ?? 'f32';
        const engine = createEncoderEngine(dev, caps, evalModel, { sparse, maxBatch, maxSeq, weights });
        engines.push(engine);
        const r = await evaluateSession(engineSession(engine), tokenizer, dataset, { limit: req.limit, batch, maxLength, signal: ctl.signal, onProgress });
        const reps = req.latency.reps ?? 30;
        const timed = await engine.time(req.latency.batch, req.latency.seq, reps);
        let denseMs = timed.msMedian;
        let hpMs: number | null = null;
        if (sparse) {
          hpMs = timed.msMedian;
          const dense = createEncoderEngine(dev, caps, model, { maxBatch: req.latency.batch, maxSeq: req.latency.seq, weights });
          engines.push(dense);
          denseMs = (await dense.time(req.latency.batch, req.latency.seq, reps)).msMedian;
        }
        return {
          adapter: caps.label, achievedSparsity, linears: sparse ? 'hp' : 'dense', note,
          accuracy: r.accuracy, correct: r.correct, n: r.n, ms: r.ms, sentencesPerSecond: r.sentencesPerSecond,
          latency: { batch: req.latency.batch, seq: req.latency.seq, denseMs, hpMs, timing: timed.timing },
          weights, weightBytes: engine.weightBytes, linearWeightBytes: engine.linearWeightBytes,
          prunedOnnx,
        };
      } finally {
        running.delete(id);
        for (const e of engines) e.destroy();
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
