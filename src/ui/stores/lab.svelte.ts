// The state the panels share: the model and data, the pruning configuration the sliders set,
// the workload and constraints of the device choice, and what has been measured on this
// machine. The URL carries the configurable part (see url-sync.ts).
import type { PruneConfig } from '../../core/pruning';
import type { CpuShapeMeasurement } from '../../workers/cpu.worker';
import type { LoadedModel } from '../../workers/model.client';
import type { DatasetInfo, EvalSummary } from '../../workers/eval.client';
import type { LinearMeasurement } from '../../core/hardware/measured';
import type { MeasuredDevice } from '../../core/hardware/roofline';
import type { FineTuneSettings } from '../../lab/finetune';
import { DEFAULT_STATE, type AppState } from './url-state';

/** A model fine-tuned in the page (FineTunePanel): the current pruned model once it exists. */
export interface FineTuned {
  config: PruneConfig;
  settings: FineTuneSettings;
  /** onnxruntime-web on the dev split, as for every variant. */
  accuracy: EvalSummary;
  onnx: Uint8Array;
  hpw: Uint8Array;
  achievedSparsity: number;
}

export const DEFAULT_PRUNING: PruneConfig = { ...DEFAULT_STATE.pruning };

export const lab = $state({
  model: null as LoadedModel | null,
  dataset: null as DatasetInfo | null,
  denseAccuracy: null as EvalSummary | null,
  finetuned: null as FineTuned | null,
  pruning: { ...DEFAULT_PRUNING } as PruneConfig,
  workload: { ...DEFAULT_STATE.workload } as AppState['workload'],
  constraints: { ...DEFAULT_STATE.constraints } as AppState['constraints'],
  measured: {
    cpu: null as CpuShapeMeasurement[] | null,
    cpuEncoder: undefined as MeasuredDevice['encoder'],
    gpu: null as LinearMeasurement[] | null,
    gpuEncoder: undefined as MeasuredDevice['encoder'],
  },
});
