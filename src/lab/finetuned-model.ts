// Which pruned model the page's GPU runs and the device choice use: a model fine-tuned in the page
// (FineTunePanel) is the current pruned model while the pruning asks for its masks ("Run on my
// GPU" runs it; the device choice gets its measured accuracy as a candidate point); otherwise the
// loaded model, pruned by the current configuration. The fine-tuned ONNX holds zeros at the pruned
// positions, so pruning it again with the same configuration keeps exactly its non-zeros (its kept
// values stay the trained ones; tested in tests/unit/lab/finetuned-model.test.ts); recovery is
// dropped, since re-solving the kept weights would overwrite the trained ones.
import type { PruneConfig } from '../core/pruning';
import type { Sweep, SweepPoint } from '../core/explore/sweep';
import { configKey } from './prune-session';

export interface FineTunedModelRef {
  /** The pruning it was fine-tuned for (masks fixed during training). */
  config: PruneConfig;
  /** The fine-tuned model: the base ONNX with trained values, pruned positions zero. */
  onnx: Uint8Array;
}

/** A fine-tuned model with what the device choice needs: its sparsity and measured accuracy. */
export interface FineTunedMeasured extends FineTunedModelRef {
  achievedSparsity: number;
  /** onnxruntime-web on the page's dev set, as for every variant. */
  accuracy: { accuracy: number; n: number };
}

export const FINETUNED_LABEL = 'fine-tuned here';

/** The fine-tuned model as a point of an accuracy sweep (its pattern, tiles, split, accuracy). */
export function fineTunedPoint(ft: FineTunedMeasured): SweepPoint {
  const c = ft.config;
  return {
    pattern: c.pattern,
    sparsity: ft.achievedSparsity,
    ...(c.pattern === 'hp' ? { split: c.split } : {}),
    tile: { tr: c.tr, tc: c.tc },
    accuracy: ft.accuracy.accuracy,
    n: ft.accuracy.n,
    label: `${c.pattern} ${FINETUNED_LABEL}`,
  };
}

/** The device choice's sweep with the fine-tuned model as one more candidate (a sweep of its own
 *  when there is none yet). */
export function sweepWithFineTuned(sweep: Sweep | null, ft: FineTunedMeasured | null): Sweep | null {
  if (!ft) return sweep;
  const point = fineTunedPoint(ft);
  return sweep ? { ...sweep, points: [...sweep.points, point] } : { points: [point] };
}

/** The same masks: every setting but how the kept values were found (recovery). */
export function sameMasks(a: PruneConfig, b: PruneConfig): boolean {
  return configKey({ ...a, recovery: undefined }) === configKey({ ...b, recovery: undefined });
}

export interface RunModel {
  bytes: Uint8Array;
  /** The pruning to run it at (null: dense). */
  pruning: PruneConfig | null;
  fineTuned: boolean;
}

/** The model bytes and pruning a GPU run of `pruning` uses. */
export function modelForRun(base: Uint8Array, pruning: PruneConfig, finetuned: FineTunedModelRef | null): RunModel {
  if (finetuned && pruning.sparsity > 0 && sameMasks(finetuned.config, pruning))
    return { bytes: finetuned.onnx, pruning: { ...pruning, recovery: undefined }, fineTuned: true };
  return { bytes: base, pruning: pruning.sparsity > 0 ? pruning : null, fineTuned: false };
}
