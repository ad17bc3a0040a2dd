// One-shot pruning result -> the same masks with reconstructed kept weights: what the app's
// "recover (no retraining)" switch, `hp-lab prune|sweep --recover lsq` and the benchmark run.
import { encodeHP } from '../formats/hp';
import type { BertModel } from '../model/bert-types';
import type { EncoderBatch } from '../model/reference-forward';
import type { ModelPruneResult } from '../pruning/prune-model';
import { DEFAULT_DAMP } from './reconstruct';
import { recoverModel, type RecoverOptions, type RecoverResult } from './sequential';

export { RECOVERY_KINDS, type RecoveryConfig, type RecoveryKind } from './recovery-config';

/** Calibration sentences the reconstruction uses by default (see BENCHMARKS.md: accuracy vs time). */
export const DEFAULT_RECOVERY_SENTENCES = 64;

export interface RecoverySummary {
  sentences: number;
  tokens: number;
  damp: number;
  ms: number;
  /** Matrices solved per row group (exact) and by the column sweep. */
  grouped: number;
  sweep: number;
  /** Where the time went, per thread (RecoverResult.phases). */
  phases: RecoverResult['phases'];
}

/**
 * The pruning result with every matrix's kept weights reconstructed (`weight` set, HP values
 * re-encoded from it); masks, HP indices and sparsity are unchanged.
 */
export async function recoverPruned(
  model: BertModel,
  pruned: ModelPruneResult,
  batches: EncoderBatch[],
  options: RecoverOptions = {},
): Promise<{ result: ModelPruneResult; summary: RecoverySummary; recovered: RecoverResult }> {
  const recovered = await recoverModel(
    model,
    pruned.matrices.map((m) => m.mask),
    batches,
    options,
  );
  const matrices = pruned.matrices.map((m, i) => {
    const { weight, bias } = recovered.matrices[i];
    const hp = m.hp && encodeHP(weight, m.hp, m.hp.tileCol, m.hp.colOff);
    return { ...m, weight, hp, ...(bias ? { bias } : {}) };
  });
  const count = (method: string) => recovered.matrices.filter((m) => m.method === method).length;
  return {
    result: { ...pruned, matrices },
    summary: {
      sentences: batches.reduce((n, b) => n + b.batch, 0), // what the calibration file had
      tokens: recovered.tokens,
      damp: options.damp ?? DEFAULT_DAMP,
      ms: recovered.ms,
      grouped: count('grouped'),
      sweep: count('sweep'),
      phases: recovered.phases,
    },
    recovered,
  };
}
