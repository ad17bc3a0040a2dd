// Fine-tuning as one experiment for the page's worker and the CLI: prune the model for a config
// (PruneSession, masks fixed from then on; with `recovery` the kept weights are first
// reconstructed layer by layer on TRAIN sentences, core/recover, so training starts from there),
// tokenize the first training sentences (and any unlabelled ones), train on the GPU
// (runFineTune), resume from / save to a checkpoint store, and return the trained model's files:
// the ONNX (pruned weights zero, trained values elsewhere) and the .hpw.
import type { HPMatrix } from '../core/formats/hp';
import { writeHPW } from '../core/formats/hpw';
import { prunableLinears, type BertModel } from '../core/model/bert-types';
import { writeBertOnnx } from '../core/model/onnx-writer';
import type { BertTokenizer } from '../core/model/tokenizer';
import type { Dataset } from '../core/data/dataset';
import { isHPStructured, type PruneConfig } from '../core/pruning';
import { calibrationBatches } from '../core/pruning/calibration';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { GpuCapabilities } from '../gpu/adapter';
import { configKey, needsRecovery, PruneSession } from './prune-session';
import {
  FineTuneCancelledError,
  heldOutCount,
  runFineTune,
  tokenizeSet,
  validateSettings,
  type FineTuneCheckpoint,
  type FineTuneProgress,
  type FineTuneResult,
  type FineTuneSettings,
} from './finetune';

export interface FineTuneRequest {
  pruning: PruneConfig;
  settings: FineTuneSettings;
  /** Train on the first `limit` training sentences (default all). */
  limit?: number;
  /** Identifies the model's bytes (e.g. their SHA-256): a checkpoint resumes only its own model. */
  modelKey: string;
  /** The model's file name, written into the .hpw. */
  modelName?: string;
  /** How many unlabelled sentences (FineTuneRunOptions.unlabelled) the run distils on. */
  unlabelled?: number;
}

/** What a checkpoint store keeps about a run besides its arrays (the page lists it). */
export interface CheckpointInfo {
  runKey: string;
  request: FineTuneRequest;
  step: number;
  totalSteps: number;
  losses: number[];
  savedAt: number;
}

/** Where checkpoints go (IndexedDB in the page; none in the CLI). One run is kept at a time. */
export interface CheckpointStore {
  load(runKey: string): Promise<FineTuneCheckpoint | null>;
  save(info: CheckpointInfo, checkpoint: FineTuneCheckpoint): Promise<void>;
  clear(): Promise<void>;
}

/** The trainer's figures (FineTuneResult less the model itself) and the files it made. */
export interface FineTuneRunResult extends Omit<FineTuneResult, 'model' | 'sparse'> {
  onnx: Uint8Array;
  hpw: Uint8Array;
  config: PruneConfig;
  settings: FineTuneSettings;
  achievedSparsity: number;
  trainSentences: number;
  adapter: string;
  /** How the starting weights were reconstructed (when the pruning asked for recovery). */
  recovery?: RecoverySummary;
}

/** The key a checkpoint is stored under: model, pruning, settings and data, in a stable order. */
export function runKeyOf(req: FineTuneRequest): string {
  return JSON.stringify({
    model: req.modelKey,
    pruning: configKey(req.pruning),
    settings: configKey(req.settings as never),
    limit: req.limit ?? null,
    unlabelled: req.unlabelled ?? 0,
  });
}

/** Every linear the trainer updates: the 24 prunable ones, the pooler and the classifier. */
const trainedLinears = (m: BertModel) => [...prunableLinears(m), ...(m.pooler ? [m.pooler] : []), m.classifier];

export interface FineTuneRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: FineTuneProgress) => void;
  store?: CheckpointStore;
  /** Save a checkpoint at most this often (ms) besides each epoch's end (default 15 s). */
  checkpointEveryMs?: number;
  profile?: boolean;
  /** Unlabelled sentences for distillation-only batches (request.unlabelled says how many). */
  unlabelled?: string[];
  /** Kept weights to start from instead of reconstructing them (e.g. a .hpw that `hp-lab prune
   *  --recover lsq-dense` wrote for the same model and config): every matrix must have the
   *  config's one-shot masks. The request's recovery is then not run. */
  start?: Map<string, HPMatrix>;
  /** Stop training after this many ms (runFineTune's timeLimitMs). */
  timeLimitMs?: number;
}

/** `start`'s values on `oneShot`'s masks (fresh arrays); RangeError naming the first matrix whose
 *  shape or kept positions differ, or that is missing. */
export function startMatrices(oneShot: Map<string, HPMatrix>, start: Map<string, HPMatrix>): Map<string, HPMatrix> {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);
  const out = new Map<string, HPMatrix>();
  for (const [name, m] of oneShot) {
    const s = start.get(name);
    if (!s) throw new RangeError(`the starting weights have no matrix '${name}'`);
    const shape = (h: HPMatrix) => [h.out, h.in, h.tr, h.tc, h.m, h.k];
    if (!same(shape(s), shape(m)) || !same(s.tileCol, m.tileCol) || !same(s.colOff, m.colOff))
      throw new RangeError(`the starting weights of '${name}' do not have this pruning's masks`);
    out.set(name, { ...m, values: Float32Array.from(s.values) });
  }
  return out;
}

export class FineTuneExperiment {
  constructor(
    private readonly gpu: { device: GPUDevice; caps: GpuCapabilities },
    private readonly session: PruneSession,
  ) {}

  async run(
    req: FineTuneRequest,
    tokenizer: BertTokenizer,
    train: Dataset,
    opts: FineTuneRunOptions = {},
  ): Promise<FineTuneRunResult> {
    const { pruning, settings } = req;
    if (!isHPStructured(pruning.pattern))
      throw new RangeError(`fine-tuning keeps HP-structured masks (hp, tile, vector), not '${pruning.pattern}'`);
    validateSettings(settings);
    const model = this.session.model;
    if (settings.maxLength > model.config.maxPositions)
      throw new RangeError(
        `max length ${settings.maxLength} exceeds the model's ${model.config.maxPositions} positions`,
      );
    const unlabelledTexts = opts.unlabelled ?? [];
    if (unlabelledTexts.length !== (req.unlabelled ?? 0))
      throw new RangeError(
        `the request says ${req.unlabelled ?? 0} unlabelled sentences, ${unlabelledTexts.length} given`,
      );
    const startFrom = opts.start;
    const recovery =
      needsRecovery(pruning) && !startFrom ? await this.recover(pruning, tokenizer, train, settings, opts) : undefined;
    const masks = startFrom ? { ...pruning, recovery: undefined } : pruning;
    const pruned = this.session.prune(masks);
    const own = this.session.hpMatrices(masks)!;
    const sparse = startFrom ? startMatrices(own, startFrom) : own;
    const set = tokenizeSet(tokenizer, train, settings.maxLength, req.limit);
    const unlabelled = unlabelledTexts.map((t) => tokenizer.encode(t, settings.maxLength));
    const runKey = runKeyOf(req);
    const resume = opts.store ? await opts.store.load(runKey) : null;
    // As runFineTune counts them: labelled batches (held-out sentences left out), then unlabelled ones.
    const labelled = set.rows.length - heldOutCount(set.rows.length, settings.holdout);
    const batches = (k: number) => Math.ceil(k / settings.batchSize);
    const totalSteps = (batches(labelled) + batches(unlabelled.length)) * settings.epochs;
    const store = opts.store;
    const result = await runFineTune({
      device: this.gpu.device,
      caps: this.gpu.caps,
      model,
      sparse,
      train: set,
      unlabelled,
      settings,
      runKey,
      resume,
      signal: opts.signal,
      onProgress: opts.onProgress,
      checkpointEveryMs: store ? (opts.checkpointEveryMs ?? 15_000) : undefined,
      onCheckpoint: store
        ? (c) =>
            store.save({ runKey, request: req, step: c.step, totalSteps, losses: c.losses, savedAt: Date.now() }, c)
        : undefined,
      profile: opts.profile,
      timeLimitMs: opts.timeLimitMs,
    });
    const onnx = writeBertOnnx(
      this.session.onnx,
      trainedLinears(result.model),
      settings.trainLayerNorm ? result.model.layers.map((l) => ({ ln1: l.ln1, ln2: l.ln2 })) : undefined,
    );
    const matrices = prunableLinears(model).map((l) => ({ name: l.name, hp: result.sparse.get(l.name)! }));
    const hpw = writeHPW({
      valueType: 'f32',
      matrices,
      info: {
        model: req.modelName ?? 'model.onnx',
        config: pruning,
        achievedSparsity: pruned.achievedSparsity,
        finetune: settings,
      },
    });
    await store?.clear();
    const { model: _trained, sparse: _sparse, ...figures } = result;
    return {
      ...figures,
      onnx,
      hpw,
      config: pruning,
      settings,
      achievedSparsity: pruned.achievedSparsity,
      trainSentences: set.rows.length,
      adapter: this.gpu.caps.label,
      recovery,
    };
  }

  /** Layer-wise reconstruction of the kept weights (core/recover) on the first TRAIN sentences. */
  private async recover(
    pruning: PruneConfig,
    tokenizer: BertTokenizer,
    train: Dataset,
    settings: FineTuneSettings,
    opts: FineTuneRunOptions,
  ): Promise<RecoverySummary> {
    const batches = calibrationBatches(
      tokenizer,
      train.texts.slice(0, pruning.recovery!.sentences),
      settings.maxLength,
    );
    const t0 = performance.now();
    try {
      const { summary } = await this.session.recover(pruning, batches, {
        signal: opts.signal,
        onProgress: (p) =>
          opts.onProgress?.({
            epoch: 0,
            epochs: settings.epochs,
            step: p.done,
            totalSteps: p.total,
            loss: NaN,
            losses: [],
            elapsedMs: performance.now() - t0,
            etaMs: p.etaMs,
            phase: 'recover',
          }),
      });
      return summary;
    } catch (err) {
      if (opts.signal?.aborted) throw new FineTuneCancelledError();
      throw err;
    }
  }
}
