// Which pruned model the page's GPU runs use: a model fine-tuned in the page (FineTunePanel) is
// the current pruned model while the pruning asks for its masks; otherwise the loaded model,
// pruned by the current configuration. The fine-tuned ONNX holds zeros at the pruned positions,
// so pruning it again with the same configuration keeps exactly its non-zeros (its kept values
// stay the trained ones; tested in tests/unit/lab/finetuned-model.test.ts); recovery is dropped,
// since re-solving the kept weights would overwrite the trained ones.
import type { PruneConfig } from '../core/pruning';
import { configKey } from './prune-session';

export interface FineTunedModelRef {
  /** The pruning it was fine-tuned for (masks fixed during training). */
  config: PruneConfig;
  /** The fine-tuned model: the base ONNX with trained values, pruned positions zero. */
  onnx: Uint8Array;
  /** Accuracy on the page's dev set (onnxruntime-web), for the device choice. */
  accuracy?: number;
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
