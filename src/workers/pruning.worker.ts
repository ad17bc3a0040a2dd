// The pruning worker: holds the loaded model, prunes it on request (core/pruning), and hands out
// the pieces the page needs: the report (sparsity + bytes per format), one matrix's mask for the
// heatmap, the pruned ONNX (for the eval worker) and the .hpw file. Big arrays are transferred.
import * as Comlink from 'comlink';
import type { ValueType } from '../core/formats/hp';
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { calibrationBatches, collectInputNorms } from '../core/pruning/calibration';
import type { EncoderBatch } from '../core/model/reference-forward';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { RecoverProgress } from '../core/recover/sequential';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes } from '../core/data/dataset';
import { pruneReport, type PruneConfig, type PruneReport } from '../core/pruning';
import { fetchBytes, fetchText } from '../lab/fetch-asset';
import { needsRecovery, PruneSession, type MatrixInfo } from '../lab/prune-session';
import { holdLifeLock } from './life-lock';

export type { MatrixInfo } from '../lab/prune-session';

export interface CalibrationRequest {
  /** Absolute URLs (a worker resolves relative ones against its own script). */
  tokenizerUrl: string;
  tokenizerConfigUrl?: string;
  /** Train sentences only: calibrating on the evaluation split would leak it. */
  dataUrl: string;
  sentences: number;
  maxLength: number;
}

export interface PruneOutcome {
  report: PruneReport;
  ms: number;
  /** Mask of the requested matrix (1 = kept), out x in. */
  mask?: { index: number; out: number; in: number; data: Uint8Array };
}

let session: PruneSession | null = null;
/** The config of the last prune(): maskOf, prunedOnnx and hpwFile answer for it. */
let lastConfig: PruneConfig | null = null;
/** Reconstructions in progress by the caller's id (cancelRecovery(id) aborts one): the prune
 *  panel's and the sweep's run side by side. */
const recovering = new Map<number, AbortController>();
/** Calibration batches of the last request, kept for the next reconstruction. */
let batchCache: { key: string; batches: EncoderBatch[] } | null = null;

/** The first `req.sentences` TRAIN sentences, tokenised and padded into batches. */
async function loadCalibration(req: CalibrationRequest): Promise<EncoderBatch[]> {
  const key = JSON.stringify(req);
  if (batchCache?.key === key) return batchCache.batches;
  const [tokenizerJson, tokenizerConfig, data] = await Promise.all([
    fetchText(req.tokenizerUrl, 'tokenizer'),
    req.tokenizerConfigUrl ? fetchText(req.tokenizerConfigUrl, 'tokenizer config').catch(() => '{}') : '{}',
    fetchBytes(req.dataUrl, 'calibration sentences'),
  ]);
  const tokenizer = BertTokenizer.fromJson(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfig));
  const texts = parseDatasetBytes(data, req.dataUrl).texts.slice(0, req.sentences);
  batchCache = { key, batches: calibrationBatches(tokenizer, texts, req.maxLength) };
  return batchCache.batches;
}

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`The pruning worker has no ${what} yet.`);
  return v;
}

const api = {
  /** Liveness (spawn.ts): held until this worker ends, however it ends. */
  holdLifeLock,
  /** Parses the ONNX model (bytes are transferred in) and lists its prunable matrices. */
  loadModel(bytes: Uint8Array): MatrixInfo[] {
    session = new PruneSession(parseBertOnnx(bytes));
    lastConfig = null;
    return session.matrices();
  },

  /** Input-feature norms per matrix (prunableLinears order) from a calibration run on train data. */
  setInputNorms(v: Float32Array[] | null): void {
    need(session, 'model').setInputNorms(v);
  },

  /** Activation-aware scores: runs the dense model (reference forward) on the first
   *  `sentences` of a TRAIN file and keeps the input norms of every prunable matrix. */
  async calibrate(
    req: CalibrationRequest,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ sentences: number; ms: number; norms: Float32Array[] }> {
    const s = need(session, 'model');
    const t0 = performance.now();
    const batches = await loadCalibration(req);
    const norms = collectInputNorms(s.model, batches, onProgress);
    s.setInputNorms(norms);
    // A copy goes back: the page restores it into a restarted worker.
    return {
      sentences: batches.reduce((n, b) => n + b.batch, 0),
      ms: performance.now() - t0,
      norms: norms.map((n) => n.slice()),
    };
  },

  hasInputNorms(): boolean {
    return session?.hasInputNorms ?? false;
  },

  /**
   * Layer-wise reconstruction (core/recover) of `config`'s kept weights on `req`'s TRAIN
   * sentences; `config.recovery` says how. Afterwards prune/prunedOnnxFor/hpwFile answer for
   * `config` with the reconstructed values (masks unchanged). cancelRecovery(id) stops it (it
   * rejects with an AbortError).
   */
  async recover(
    id: number,
    config: PruneConfig,
    req: CalibrationRequest,
    onProgress?: (p: RecoverProgress) => void,
  ): Promise<{ report: PruneReport; summary: RecoverySummary }> {
    const s = need(session, 'model');
    if (!needsRecovery(config)) throw new RangeError('recover() needs a config with recovery { kind: "lsq", ... }');
    const ctrl = new AbortController();
    recovering.set(id, ctrl);
    try {
      const batches = await loadCalibration(req);
      const { result, summary } = await s.recover(config, batches, { signal: ctrl.signal, onProgress });
      return { report: pruneReport(result, config), summary };
    } finally {
      recovering.delete(id);
    }
  },

  /** Stops reconstruction `id` if it is still running. */
  cancelRecovery(id: number): void {
    recovering.get(id)?.abort();
  },

  prune(config: PruneConfig, maskIndex?: number): PruneOutcome {
    const s = need(session, 'model');
    const t0 = performance.now();
    const result = s.prune(config);
    const ms = performance.now() - t0;
    lastConfig = config;
    const outcome: PruneOutcome = { report: pruneReport(result, config), ms };
    if (maskIndex !== undefined) outcome.mask = api.maskOf(maskIndex);
    return outcome.mask ? Comlink.transfer(outcome, [outcome.mask.data.buffer]) : outcome;
  },

  /** A copy of one matrix's mask from the last prune. */
  maskOf(index: number): { index: number; out: number; in: number; data: Uint8Array } {
    const m = need(session, 'model').prune(need(lastConfig, 'pruning result')).matrices[index];
    if (!m) throw new RangeError(`no matrix ${index}`);
    const data = m.mask.slice();
    return Comlink.transfer({ index, out: m.out, in: m.in, data }, [data.buffer]);
  },

  /** The ONNX model with the last prune's zeros in place. */
  prunedOnnx(): Uint8Array {
    return api.prunedOnnxFor(need(lastConfig, 'pruning result')).bytes;
  },

  /** The ONNX pruned with `config` (for sweeps); the last prune stays the live one. */
  prunedOnnxFor(config: PruneConfig): { bytes: Uint8Array; achievedSparsity: number } {
    const s = need(session, 'model');
    const bytes = s.prunedOnnx(config);
    return Comlink.transfer({ bytes, achievedSparsity: s.prune(config).achievedSparsity }, [bytes.buffer]);
  },

  /** The HP matrices of `config` (default: the last prune) as a .hpw file (HP-structured patterns
   *  only); a config with recovery gives the reconstructed values (after recover()). */
  hpwFile(valueType: ValueType, modelName: string, config?: PruneConfig): Uint8Array {
    const bytes = need(session, 'model').hpwFile(config ?? need(lastConfig, 'pruning result'), valueType, modelName);
    return Comlink.transfer(bytes, [bytes.buffer]);
  },
};

export type PruningWorkerApi = typeof api;
Comlink.expose(api);
