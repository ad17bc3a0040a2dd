// One model, pruned on request: model + config -> masks, pruned weights, HP matrices, the pruned
// ONNX and the .hpw / .spw file. Each config is pruned once and kept (the last few), so the pruning
// panel, "Run on my GPU", the sweep and the CLI all read the same result instead of pruning the
// same slider value again. Pure computation (core/): runs in a worker, in Node, in a test.
import { writeHPW } from '../core/formats/hpw';
import type { HPMatrix, HPValueType, ValueType } from '../core/formats/hp';
import { encodeCSR } from '../core/formats/sparse';
import { writeSPW } from '../core/formats/spw';
import type { OnnxBert } from '../core/model/bert-from-onnx';
import { prunableLinears, type BertModel, type Linear } from '../core/model/bert-types';
import { writeBertOnnx } from '../core/model/onnx-writer';
import {
  applyMask,
  isHPStructured,
  matrixInputs,
  pruneMatrices,
  type MatrixGroup,
  type ModelPruneResult,
  type PruneConfig,
} from '../core/pruning';
import type { EncoderBatch } from '../core/model/reference-forward';
import { recoverPruned, type RecoverySummary } from '../core/recover/recover-pruned';
import type { RecoverOptions } from '../core/recover/sequential';

export interface MatrixInfo {
  name: string;
  out: number;
  in: number;
  group: MatrixGroup;
}

/** How many configs' results stay in memory (a TinyBERT result is a few MB of masks). */
const KEEP_RESULTS = 4;

/** The same config written in any key order gives the same key. */
export function configKey(config: PruneConfig): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !ArrayBuffer.isView(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sorted(config));
}

export class PruneSession {
  private norms: Float32Array[] | undefined;
  private obsFactors: Float32Array[] | undefined;
  private readonly results = new Map<string, ModelPruneResult>();
  private readonly summaries = new Map<string, RecoverySummary>();

  constructor(readonly onnx: OnnxBert) {}

  get model(): BertModel {
    return this.onnx.model;
  }

  /** The prunable matrices, in prunableLinears order. */
  matrices(): MatrixInfo[] {
    return matrixInputs(this.model).map((m) => ({ name: m.name, out: m.out, in: m.in, group: m.group! }));
  }

  /** Input-feature norms per matrix (activation-aware scores), or with `kind` 'obs' the OBS
   *  column factors (core/recover/obs-scores); null forgets them. */
  setInputNorms(norms: Float32Array[] | null, kind: 'activation' | 'obs' = 'activation'): void {
    matrixInputs(this.model, norms ?? undefined); // validates the count
    if (kind === 'obs') this.obsFactors = norms ?? undefined;
    else this.norms = norms ?? undefined;
    this.results.clear();
    this.summaries.clear();
  }

  get hasInputNorms(): boolean {
    return this.norms !== undefined;
  }

  /** The pruning result for `config`, computed once. Throws RangeError for a bad config. A config
   *  with `recovery` must have been through `recover()` (its result stays among the last few). */
  prune(config: PruneConfig): ModelPruneResult {
    const key = configKey(config);
    let result = this.results.get(key);
    if (result) {
      this.results.delete(key); // most recently used goes last
    } else {
      if (needsRecovery(config)) throw new Error('This configuration asks for recovery: run recover() for it first.');
      result = pruneMatrices(matrixInputs(this.model, config.score === 'obs' ? this.obsFactors : this.norms), config);
    }
    this.keep(key, result);
    return result;
  }

  /**
   * Layer-wise reconstruction of the kept weights of `config`'s one-shot result (same masks) on
   * calibration `batches` (TRAIN sentences), kept for prune/prunedOnnx/hpwFile(config). Async and
   * cancellable through `options.signal`; progress with an ETA through `options.onProgress`.
   */
  async recover(
    config: PruneConfig,
    batches: EncoderBatch[],
    options: RecoverOptions = {},
  ): Promise<{ result: ModelPruneResult; summary: RecoverySummary }> {
    if (!needsRecovery(config)) throw new RangeError("recover() needs a config with recovery { kind: 'lsq', ... }");
    const key = configKey(config);
    const cached = this.results.get(key);
    const summary = this.summaries.get(key);
    if (cached && summary) return { result: cached, summary };
    const oneShot = this.prune({ ...config, recovery: undefined });
    const { damp, kind, bias, residual } = config.recovery!;
    const r = await recoverPruned(this.model, oneShot, batches, {
      ...options,
      damp,
      targets: kind === 'lsq-dense' ? 'dense' : 'self',
      bias,
      residual,
    });
    this.keep(key, r.result);
    this.summaries.set(key, r.summary);
    return { result: r.result, summary: r.summary };
  }

  /** How the kept weights of `config` were reconstructed, once recover() has run for it. */
  recoverySummary(config: PruneConfig): RecoverySummary | undefined {
    return this.summaries.get(configKey(config));
  }

  private keep(key: string, result: ModelPruneResult): void {
    this.results.delete(key);
    if (this.results.size >= KEEP_RESULTS) {
      const oldest = this.results.keys().next().value!;
      this.results.delete(oldest);
      this.summaries.delete(oldest);
    }
    this.results.set(key, result);
  }

  /** The model's linears with zeros where `config` prunes (and the reconstructed kept weights
   *  when it asks for recovery), in prunableLinears order. */
  prunedLinears(config: PruneConfig): Linear[] {
    const result = this.prune(config);
    return prunableLinears(this.model).map((l, i) => ({
      ...l,
      weight: result.matrices[i].weight ?? applyMask(l.weight, result.matrices[i].mask),
      bias: result.matrices[i].bias ?? l.bias,
    }));
  }

  /** The whole model with the pruned (masked) weights in place of the dense ones. */
  prunedModel(config: PruneConfig): BertModel {
    const linears = new Map(this.prunedLinears(config).map((l) => [l.name, l]));
    return {
      ...this.model,
      layers: this.model.layers.map((layer) => {
        const copy = { ...layer };
        for (const kind of ['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const) {
          const l = linears.get(layer[kind].name);
          if (l) copy[kind] = { ...layer[kind], weight: l.weight, bias: l.bias };
        }
        return copy;
      }),
    };
  }

  /** The ONNX file with the pruned weights written in (for onnxruntime-web, or to download). */
  prunedOnnx(config: PruneConfig): Uint8Array {
    return writeBertOnnx(this.onnx, this.prunedLinears(config));
  }

  /** The HP matrices by name, or null when the pattern has no HP structure. */
  hpMatrices(config: PruneConfig): Map<string, HPMatrix> | null {
    if (!isHPStructured(config.pattern)) return null;
    return new Map(this.prune(config).matrices.map((m) => [m.name, m.hp!]));
  }

  /** The HP matrices as a .hpw file; throws for patterns without HP structure. */
  hpwFile(config: PruneConfig, valueType: HPValueType, modelName: string): Uint8Array {
    const hp = this.hpMatrices(config);
    if (!hp)
      throw new RangeError(
        `.hpw holds HP-structured matrices; pattern '${config.pattern}' is not (use hp, tile or vector).`,
      );
    if (this.prune(config).matrices.some((m) => m.bias))
      throw new RangeError('.hpw holds the matrices only, not the fitted biases: export the ONNX instead.');
    const matrices = [...hp].map(([name, m]) => ({ name, hp: m }));
    const info = { model: modelName, config, achievedSparsity: this.prune(config).achievedSparsity };
    return writeHPW({ valueType, matrices, info });
  }

  /** The pruned matrices as a .spw file (CSR of the kept positions): any pattern, e.g. the
   *  unstructured and N:M baselines a .hpw cannot hold. */
  spwFile(config: PruneConfig, valueType: ValueType, modelName: string): Uint8Array {
    const result = this.prune(config);
    const matrices = this.prunedLinears(config).map((l, i) => ({
      name: l.name,
      csr: encodeCSR(l.weight, l.out, l.in, result.matrices[i].mask),
    }));
    const info = { model: modelName, config, achievedSparsity: result.achievedSparsity };
    return writeSPW({ valueType, matrices, info });
  }
}

/** Whether `config` asks for the kept weights to be reconstructed. */
export function needsRecovery(config: PruneConfig): boolean {
  return config.recovery !== undefined && config.recovery.kind !== 'none';
}
