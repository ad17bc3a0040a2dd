// The recovery methods the page and the CLI offer, and the configuration each name stands for:
// the prune panel's recover switch, the sweep's recovered series, the exports' file names and
// `hp-lab … --recover K` all read them here, so "lsq-dense" means the same thing everywhere.
import { DEFAULT_DAMP } from '../core/recover/reconstruct';
import { DEFAULT_RECOVERY_SENTENCES } from '../core/recover/recover-pruned';
import type { RecoveryConfig, RecoveryKind } from '../core/recover/recovery-config';

export type RecoveryMethodKind = Exclude<RecoveryKind, 'none'>;

export interface RecoveryMethod {
  kind: RecoveryMethodKind;
  /** Short name for a menu. */
  label: string;
  /** One sentence for a tooltip: what it fits, what it costs. */
  description: string;
  /** The configuration the name stands for (the CLI's flags can override each field). */
  config: RecoveryConfig;
}

/** lsq-dense's calibration sentences: four times lsq's (it gains from them where lsq does not). */
const DENSE_TARGET_SENTENCES = 4 * DEFAULT_RECOVERY_SENTENCES;

export const RECOVERY_METHODS: readonly RecoveryMethod[] = [
  {
    kind: 'lsq',
    label: 'layer by layer (fast)',
    description:
      `Each pruned matrix's kept weights are re-solved (least squares on the activations of ` +
      `${DEFAULT_RECOVERY_SENTENCES} train sentences) so that it reproduces its dense weights on its own inputs.`,
    config: { kind: 'lsq', sentences: DEFAULT_RECOVERY_SENTENCES, damp: DEFAULT_DAMP },
  },
  {
    kind: 'lsq-dense',
    label: 'towards the dense model (slower, closer)',
    description:
      `Each pruned matrix's kept weights are re-solved so that the layer reproduces the dense model's outputs ` +
      `(${DENSE_TARGET_SENTENCES} train sentences), so later layers also make up for earlier ones; the ` +
      "attention and FFN outputs also make up the residual stream's difference, so every LayerNorm gets " +
      "the dense model's sum.",
    // Chosen on held-out train sentences (BENCHMARKS.md, "Recovery without retraining").
    config: { kind: 'lsq-dense', sentences: DENSE_TARGET_SENTENCES, damp: DEFAULT_DAMP, residual: true },
  },
];

/** The page's default: lsq, about a quarter of lsq-dense's time (BENCHMARKS.md, "Recovery without
 *  retraining"), so the switch answers within seconds as the sliders move; lsq-dense, the closer
 *  one, is the menu's other choice. Bias fitting (`--fit-bias`) stays CLI-only: no measurable gain
 *  with either method on held-out train sentences, and the page's .hpw export cannot carry
 *  biases, so its two exports would disagree. */
export const DEFAULT_RECOVERY_METHOD: RecoveryMethodKind = 'lsq';

/** The method named `kind`; RangeError for an unknown name (e.g. from a stored record). */
export function recoveryMethod(kind: string): RecoveryMethod {
  const m = RECOVERY_METHODS.find((x) => x.kind === kind);
  if (!m)
    throw new RangeError(
      `unknown recovery method '${kind}' (one of ${RECOVERY_METHODS.map((x) => x.kind).join(', ')})`,
    );
  return m;
}

/** A fresh copy of the configuration `kind` stands for. */
export function recoveryConfig(kind: RecoveryMethodKind): RecoveryConfig {
  return { ...recoveryMethod(kind).config };
}

export function isRecoveryMethod(x: unknown): x is RecoveryMethodKind {
  return RECOVERY_METHODS.some((m) => m.kind === x);
}
