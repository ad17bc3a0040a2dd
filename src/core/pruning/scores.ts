// Element scores: how much each weight matters. Pruning keeps the highest scores.
import type { ScoreKind } from './types';

/** |w|, or |w_ij| * c_j with the column factor c (||x_j|| for 'activation', 1 / sqrt([H⁻¹]_jj)
 *  for 'obs'); row-major out x in like W. */
export function elementScores(
  weight: Float32Array,
  out: number,
  nIn: number,
  kind: ScoreKind,
  inputNorms?: Float32Array,
): Float32Array {
  if (weight.length !== out * nIn) throw new RangeError(`weight has ${weight.length} values, expected ${out} x ${nIn}`);
  const s = new Float32Array(weight.length);
  if (kind === 'magnitude') {
    for (let i = 0; i < s.length; i++) s[i] = Math.abs(weight[i]);
    return s;
  }
  if (kind !== 'activation' && kind !== 'obs') throw new RangeError(`unknown score '${kind as string}'`);
  if (!inputNorms) {
    throw new RangeError(
      kind === 'obs'
        ? "score 'obs' needs OBS column factors (a calibration run's H = XᵀX) for every matrix"
        : "score 'activation' needs input-feature norms (calibration run) for every matrix",
    );
  }
  if (inputNorms.length !== nIn) throw new RangeError(`inputNorms has ${inputNorms.length} entries, expected ${nIn}`);
  for (let r = 0; r < out; r++) {
    const base = r * nIn;
    for (let c = 0; c < nIn; c++) s[base + c] = Math.abs(weight[base + c]) * inputNorms[c];
  }
  return s;
}
