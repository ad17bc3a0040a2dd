// The pruning panel's model as a service (the pruning worker exposes it, workers/pruning.worker.ts):
// holds the loaded model (a PruneSession) and the config of the last prune, and hands out the
// pieces the page needs: the report (sparsity + bytes per format), one matrix's mask for the
// heatmap, the pruned ONNX (for the eval worker) and the .hpw file; activation norms from a
// calibration run, and layer-wise reconstruction (core/recover), cancellable by id.
import type { ValueType } from '../core/formats/hp';
import { parseBertOnnx } from '../core/model/bert-from-onnx';
import { collectInputNorms } from '../core/pruning/calibration';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { RecoverProgress, ShardSpawner } from '../core/recover/sequential';
import { pruneReport, type PruneConfig, type PruneReport } from '../core/pruning';
import { CalibrationSet, type CalibrationRequest } from './calibration-set';
import { needsRecovery, PruneSession, type MatrixInfo } from './prune-session';

export interface MaskView {
  index: number;
  out: number;
  in: number;
  /** 1 = kept, out x in; a copy (the session keeps its own). */
  data: Uint8Array;
}

export interface PruneOutcome {
  report: PruneReport;
  ms: number;
  /** Mask of the requested matrix. */
  mask?: MaskView;
}

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`The pruning worker has no ${what} yet.`);
  return v;
}

export class PruningService {
  private session: PruneSession | null = null;
  /** The config of the last prune(): maskOf, prunedOnnx and hpwFile answer for it. */
  private lastConfig: PruneConfig | null = null;
  /** Reconstructions in progress by the caller's id (cancelRecovery(id) aborts one): the prune
   *  panel's and the sweep's run side by side. */
  private readonly recovering = new Map<number, AbortController>();
  private readonly calibration = new CalibrationSet();

  /** `helpers`: where the reconstruction's extra shards run (the pruning worker's own workers). */
  constructor(private readonly helpers: () => ShardSpawner[] = () => []) {}

  /** Parses the ONNX model and lists its prunable matrices. */
  loadModel(bytes: Uint8Array): MatrixInfo[] {
    this.session = new PruneSession(parseBertOnnx(bytes));
    this.lastConfig = null;
    return this.session.matrices();
  }

  /** Input-feature norms per matrix (prunableLinears order) from a calibration run on train data. */
  setInputNorms(v: Float32Array[] | null): void {
    need(this.session, 'model').setInputNorms(v);
  }

  /** Activation-aware scores: runs the dense model (reference forward) on the first
   *  `sentences` of a TRAIN file and keeps the input norms of every prunable matrix. */
  async calibrate(
    req: CalibrationRequest,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ sentences: number; ms: number; norms: Float32Array[] }> {
    const s = need(this.session, 'model');
    const t0 = performance.now();
    const batches = await this.calibration.batches(req);
    const norms = collectInputNorms(s.model, batches, onProgress);
    s.setInputNorms(norms);
    // A copy goes back: the page restores it into a restarted worker.
    return {
      sentences: batches.reduce((n, b) => n + b.batch, 0),
      ms: performance.now() - t0,
      norms: norms.map((n) => n.slice()),
    };
  }

  hasInputNorms(): boolean {
    return this.session?.hasInputNorms ?? false;
  }

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
    const s = need(this.session, 'model');
    if (!needsRecovery(config)) throw new RangeError('recover() needs a config with recovery { kind: "lsq", ... }');
    const ctrl = new AbortController();
    this.recovering.set(id, ctrl);
    try {
      const batches = await this.calibration.batches(req);
      const { result, summary } = await s.recover(config, batches, {
        signal: ctrl.signal,
        onProgress,
        helpers: this.helpers(),
      });
      return { report: pruneReport(result, config), summary };
    } finally {
      this.recovering.delete(id);
    }
  }

  /** Stops reconstruction `id` if it is still running. */
  cancelRecovery(id: number): void {
    this.recovering.get(id)?.abort();
  }

  prune(config: PruneConfig, maskIndex?: number): PruneOutcome {
    const s = need(this.session, 'model');
    const t0 = performance.now();
    const result = s.prune(config);
    const ms = performance.now() - t0;
    this.lastConfig = config;
    const outcome: PruneOutcome = { report: pruneReport(result, config), ms };
    if (maskIndex !== undefined) outcome.mask = this.maskOf(maskIndex);
    return outcome;
  }

  /** A copy of one matrix's mask from the last prune. */
  maskOf(index: number): MaskView {
    const m = need(this.session, 'model').prune(need(this.lastConfig, 'pruning result')).matrices[index];
    if (!m) throw new RangeError(`no matrix ${index}`);
    return { index, out: m.out, in: m.in, data: m.mask.slice() };
  }

  /** The ONNX model with the last prune's zeros in place. */
  prunedOnnx(): Uint8Array {
    return this.prunedOnnxFor(need(this.lastConfig, 'pruning result')).bytes;
  }

  /** The ONNX pruned with `config` (for sweeps); the last prune stays the live one. */
  prunedOnnxFor(config: PruneConfig): { bytes: Uint8Array; achievedSparsity: number } {
    const s = need(this.session, 'model');
    return { bytes: s.prunedOnnx(config), achievedSparsity: s.prune(config).achievedSparsity };
  }

  /** The HP matrices of `config` (default: the last prune) as a .hpw file (HP-structured patterns
   *  only); a config with recovery gives the reconstructed values (after recover()). */
  hpwFile(valueType: ValueType, modelName: string, config?: PruneConfig): Uint8Array {
    const s = need(this.session, 'model');
    return s.hpwFile(config ?? need(this.lastConfig, 'pruning result'), valueType, modelName);
  }
}
