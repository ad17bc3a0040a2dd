// What a PruneConfig says about recovery (core/pruning/types.ts holds it): no imports, so the
// pruning types and the recovery code (recover-pruned.ts) both depend on it, not on each other.
export const RECOVERY_KINDS = ['none', 'lsq'] as const;
/** none: one-shot (kept weights as they were). lsq: layer-wise least-squares reconstruction. */
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];

export interface RecoveryConfig {
  kind: RecoveryKind;
  /** Calibration sentences (TRAIN split). */
  sentences: number;
  /** λ = damp · mean(diag Xᵀ X). */
  damp: number;
}
