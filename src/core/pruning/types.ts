// Types shared by every pruning pattern: what a caller asks for, what comes back.
import type { HPMatrix } from '../formats/hp';
import type { RecoveryConfig } from '../recover/recovery-config';

export const PATTERNS = ['hp', 'tile', 'vector', 'unstructured', 'nm', 'row-balanced'] as const;
/**
 * hp: hierarchical (tile level + vector level). tile: whole Tr x Tc tiles, row-balanced (= HP
 * with k = Tc). vector: k of Tc columns in every tile, column-balanced (= HP with m = all).
 * unstructured: top weights of the matrix. nm: N of every M consecutive input weights per
 * output row. row-balanced: every output row keeps the same count (bank-balanced).
 */
export type Pattern = (typeof PATTERNS)[number];

/** The patterns whose matrices have HP structure (tiles, then columns in tiles): they have an
 *  HPMatrix, a .hpw file, the HP kernels and the HP accelerator. The one place this is decided. */
export const HP_STRUCTURED_PATTERNS = ['hp', 'tile', 'vector'] as const satisfies readonly Pattern[];

/** True for hp, tile and vector (also accepts the wider pattern names of the device models). */
export function isHPStructured(pattern: string): pattern is (typeof HP_STRUCTURED_PATTERNS)[number] {
  return (HP_STRUCTURED_PATTERNS as readonly string[]).includes(pattern);
}

export const SCORE_KINDS = ['magnitude', 'activation', 'obs'] as const;
/** magnitude: |w|. activation: |w_ij| * ||x_j|| (Wanda-style, input-feature norms). obs:
 *  |w_ij| / sqrt([H⁻¹]_jj), the square root of the optimal-brain-surgeon saliency (core/recover/
 *  obs-scores.ts); both take a per-input-column factor from a calibration run. */
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** Attention (Q, K, V, attention output) vs FFN (in, out) matrices. */
export type MatrixGroup = 'attention' | 'ffn';

export interface PruneConfig {
  pattern: Pattern;
  /** Target sparsity in [0, 1] for every matrix (unless `groupSparsity` overrides it). */
  sparsity: number;
  /** Optional per-group target sparsity (attention vs FFN). */
  groupSparsity?: Partial<Record<MatrixGroup, number>>;
  score: ScoreKind;
  /** Tile rows / columns (hp, tile, vector). Any positive size; tc <= 256. */
  tr: number;
  tc: number;
  /**
   * hp only: share of the sparsity taken by the tile level, in [0, 1] (log-density split):
   * tile keep ratio ~ d^split, vector keep ratio ~ d^(1 - split), d = 1 - sparsity.
   */
  split: number;
  /** hp only: set both ratios directly instead of (sparsity, split). */
  keep?: { tile: number; vector: number };
  /** nm: group size M along the input dimension (N = round(M * (1 - sparsity))). */
  nmM?: number;
  /** nm: N directly (overrides sparsity), e.g. 2 with nmM 4 for 2:4. */
  nmN?: number;
  /** Reconstruct the kept weights after pruning (core/recover; masks unchanged); absent: one-shot. */
  recovery?: RecoveryConfig;
}

/** What the device models, the selection and the paper view need of a pruning: the pattern (or
 *  'dense'), the sparsity and the tile. A PruneConfig is one. */
export interface Pruning {
  pattern: string;
  sparsity: number;
  split?: number;
  tr: number;
  tc: number;
}

export interface MatrixInput {
  name: string;
  out: number;
  in: number;
  /** W row-major out x in. */
  weight: Float32Array;
  /** The score's per-input-column factor, length `in`: ||x_j|| over calibration tokens for score
   *  'activation', 1 / sqrt([H⁻¹]_jj) for 'obs' (needed for those two). */
  inputNorms?: Float32Array;
  group?: MatrixGroup;
}

export interface MatrixPruneResult {
  name: string;
  out: number;
  in: number;
  /** 1 = kept, out x in row-major. */
  mask: Uint8Array;
  /** Present for the HP-structured patterns (hp, tile, vector). */
  hp?: HPMatrix;
  /** Reconstructed kept weights (core/recover), zero where pruned; absent after one-shot pruning,
   *  whose kept weights are the dense ones. `hp` holds the same values when present. */
  weight?: Float32Array;
  /** Reconstructed bias (recovery with `bias`); absent: the dense bias. */
  bias?: Float32Array;
  targetSparsity: number;
  /** 1 - kept / (out * in), counted on the mask. */
  achievedSparsity: number;
  kept: number;
  /** Pattern parameters actually used (m, k, tilesPerRow for HP; n, M for N:M; perRow...). */
  params: Record<string, number>;
}
