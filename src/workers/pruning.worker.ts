// The pruning worker: holds the loaded model, prunes it on request (core/pruning), and hands out
// the pieces the page needs: the report (sparsity + bytes per format), one matrix's mask for the
// heatmap, the pruned ONNX (for the eval worker) and the .hpw file. Big arrays are transferred.
import * as Comlink from 'comlink';
import { writeHPW } from '../core/formats/hpw';
import type { ValueType } from '../core/formats/hp';
import { parseBertOnnx, type OnnxBert } from '../core/model/bert-from-onnx';
import { prunableLinears } from '../core/model/bert-types';
import { writeBertOnnx } from '../core/model/onnx-writer';
import { calibrationBatches, collectInputNorms } from '../core/pruning/calibration';
import { BertTokenizer } from '../core/model/tokenizer';
import { parseDatasetBytes } from '../core/data/dataset';
import { fetchBytes, fetchText } from './fetch-asset';
import { applyMask, matrixInputs, pruneMatrices, pruneReport, type MatrixGroup, type ModelPruneResult, type PruneConfig, type PruneReport } from '../core/pruning';

export interface MatrixInfo {
  name: string;
  out: number;
  in: number;
  group: MatrixGroup;
}

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

let onnx: OnnxBert | null = null;
let norms: Float32Array[] | undefined;
let last: { config: PruneConfig; result: ModelPruneResult } | null = null;

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`The pruning worker has no ${what} yet.`);
  return v;
}

const api = {
  /** Parses the ONNX model (bytes are transferred in) and lists its prunable matrices. */
  loadModel(bytes: Uint8Array): MatrixInfo[] {
    onnx = parseBertOnnx(bytes);
    norms = undefined;
    last = null;
    return matrixInputs(onnx.model).map((m) => ({ name: m.name, out: m.out, in: m.in, group: m.group! }));
  },

  /** Input-feature norms per matrix (prunableLinears order) from a calibration run on train data. */
  setInputNorms(v: Float32Array[] | null): void {
    const model = need(onnx, 'model').model;
    matrixInputs(model, v ?? undefined); // validates the count
    norms = v ?? undefined;
  },

  /** Activation-aware scores: runs the dense model (reference forward) on the first
   *  `sentences` of a TRAIN file and keeps the input norms of every prunable matrix. */
  async calibrate(req: CalibrationRequest, onProgress?: (done: number, total: number) => void): Promise<{ sentences: number; ms: number }> {
    const model = need(onnx, 'model').model;
    const t0 = performance.now();
    const get = (url: string) => fetchText(url, 'calibration input');
    const [tokenizerJson, tokenizerConfig, data] = await Promise.all([get(req.tokenizerUrl), req.tokenizerConfigUrl ? get(req.tokenizerConfigUrl).catch(() => '{}') : '{}', fetchBytes(req.dataUrl, 'calibration sentences')]);
    const tokenizer = BertTokenizer.fromJson(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfig));
    const texts = parseDatasetBytes(data, req.dataUrl).texts.slice(0, req.sentences);
    norms = collectInputNorms(model, calibrationBatches(tokenizer, texts, req.maxLength), onProgress);
    return { sentences: texts.length, ms: performance.now() - t0 };
  },

  hasInputNorms(): boolean {
    return norms !== undefined;
  },

  prune(config: PruneConfig, maskIndex?: number): PruneOutcome {
    const model = need(onnx, 'model').model;
    const t0 = performance.now();
    const result = pruneMatrices(matrixInputs(model, norms), config);
    const ms = performance.now() - t0;
    last = { config, result };
    const outcome: PruneOutcome = { report: pruneReport(result, config), ms };
    if (maskIndex !== undefined) outcome.mask = api.maskOf(maskIndex);
    return outcome.mask ? Comlink.transfer(outcome, [outcome.mask.data.buffer]) : outcome;
  },

  /** A copy of one matrix's mask from the last prune. */
  maskOf(index: number): { index: number; out: number; in: number; data: Uint8Array } {
    const m = need(last, 'pruning result').result.matrices[index];
    if (!m) throw new RangeError(`no matrix ${index}`);
    const data = m.mask.slice();
    return Comlink.transfer({ index, out: m.out, in: m.in, data }, [data.buffer]);
  },

  /** The ONNX model with the last prune's zeros in place. */
  prunedOnnx(): Uint8Array {
    return onnxWith(need(last, 'pruning result').result);
  },

  /** Prunes with `config` and returns that ONNX, leaving the live result alone (for sweeps). */
  prunedOnnxFor(config: PruneConfig): { bytes: Uint8Array; achievedSparsity: number } {
    const result = pruneMatrices(matrixInputs(need(onnx, 'model').model, norms), config);
    const bytes = onnxWith(result);
    return Comlink.transfer({ bytes, achievedSparsity: result.achievedSparsity }, [bytes.buffer]);
  },

  /** The last prune's HP matrices as a .hpw file (HP-structured patterns only). */
  hpwFile(valueType: ValueType, modelName: string): Uint8Array {
    const { result, config } = need(last, 'pruning result');
    if (result.matrices.some((m) => !m.hp)) throw new Error(`.hpw holds HP-structured matrices; pattern '${config.pattern}' is not (use hp, tile or vector).`);
    const bytes = writeHPW({ valueType, matrices: result.matrices.map((m) => ({ name: m.name, hp: m.hp! })), info: { model: modelName, config, achievedSparsity: result.achievedSparsity } });
    return Comlink.transfer(bytes, [bytes.buffer]);
  },
};

function onnxWith(result: ModelPruneResult): Uint8Array {
  const o = need(onnx, 'model');
  const linears = prunableLinears(o.model).map((l, i) => ({ ...l, weight: applyMask(l.weight, result.matrices[i].mask) }));
  const bytes = writeBertOnnx(o, linears);
  return Comlink.transfer(bytes, [bytes.buffer]);
}

export type PruningWorkerApi = typeof api;
Comlink.expose(api);
