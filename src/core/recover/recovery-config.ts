// What a PruneConfig says about recovery (core/pruning/types.ts holds it): no imports, so the
// pruning types and the recovery code (recover-pruned.ts) both depend on it, not on each other.
export const RECOVERY_KINDS = ['none', 'lsq', 'lsq-dense'] as const;
/** none: one-shot (kept weights as they were). lsq: layer-wise least-squares reconstruction, each
 *  layer reproducing its dense weights on its own inputs. lsq-dense: each layer reproducing the
 *  dense model's outputs (later layers make up for earlier errors; a dense forward stream besides). */
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];

export interface RecoveryConfig {
  kind: RecoveryKind;
  /** Calibration sentences (TRAIN split). */
  sentences: number;
  /** λ = damp · mean(diag Xᵀ X). */
  damp: number;
  /** Fit each linear's bias too (an intercept column). */
  bias?: boolean;
  /** lsq-dense: the attention-output and FFN-output linears also make up the residual stream's
   *  difference, so the sum entering each LayerNorm is the dense model's. */
  residual?: boolean;
}
