export * from './types';
export { elementScores } from './scores';
export { hpStaircase, planHP, planHPDirect, type HPPlan } from './hp-plan';
export { hpScores, pruneHP, type HPScores } from './hp-prune';
export { pruneNM, pruneRowBalanced, pruneUnstructured } from './baselines';
export {
  pruneMatrix,
  planFor,
  validateConfig,
  applyMask,
  countOnes,
  targetSparsity,
  DEFAULT_NM_M,
} from './prune-matrix';
export { pruneMatrices, matrixInputs, groupOfKind, type ModelPruneResult } from './prune-model';
export { pruneReport, bcsrBlock, type PruneReport, type MatrixReport } from './report';
export {
  sweepPoints,
  parseSeries,
  DEFAULT_SWEEP_SERIES,
  DEFAULT_SWEEP_SPARSITIES,
  type SweepSeries,
  type SweepPoint,
} from './sweep-plan';
