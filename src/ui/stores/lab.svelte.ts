// The state the panels share: the pruning configuration the sliders set, and what has been
// measured on this machine (it feeds the device comparison). One object so the URL can
// carry it and panels stay in step.
import type { PruneConfig } from '../../core/pruning';
import type { CpuShapeMeasurement } from '../../workers/cpu.worker';

export const DEFAULT_PRUNING: PruneConfig = { pattern: 'hp', sparsity: 0.8, split: 0.5, tr: 32, tc: 32, score: 'magnitude' };

export const lab = $state({
  pruning: { ...DEFAULT_PRUNING } as PruneConfig,
  measured: {
    cpu: null as CpuShapeMeasurement[] | null,
  },
});
