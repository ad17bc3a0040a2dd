// The optimal-brain-surgeon saliency as a pruning score: removing w_ij alone (the rest of the
// row re-solved) costs w_ij² / [H⁻¹]_jj in ||X Wᵀ - X W'ᵀ||², H = Xᵀ X + λI over calibration
// inputs. Its square root |w_ij| / sqrt([H⁻¹]_jj) ranks the elements alike and has the form of the
// activation-aware score |w_ij| · ||x_j|| (a per-input-column factor), so the pruning takes it
// through the same column-factor path: score 'obs' with these factors in place of the norms.
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import { referenceEncode, type EncoderBatch } from '../model/reference-forward';
import { choleskyInPlace, lowerInverseTransposed } from './cholesky';
import { GramAccumulator } from './gram';
import { Gemm } from './wasm-gemm';
import { dampedGram, DEFAULT_DAMP } from './reconstruct';

/** 1 / sqrt([(H + λI)⁻¹]_jj) for every input column j (λ as in the reconstruction). */
export function obsColumnFactors(gram: Float64Array, n: number, damp = DEFAULT_DAMP): Float32Array {
  const l = dampedGram(gram, n, damp);
  choleskyInPlace(l, n);
  // (H⁻¹)_jj = Σ_i ((L⁻¹)_ij)², and row j of the transposed inverse holds (L⁻¹)_ij for i >= j.
  const t = lowerInverseTransposed(l, n);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = j; i < n; i++) s += t[j * n + i] * t[j * n + i];
    out[j] = 1 / Math.sqrt(s);
  }
  return out;
}

/** OBS column factors of every prunable matrix (prunableLinears order), from the dense model's
 *  activations on calibration batches (TRAIN sentences), real tokens only. */
export function collectObsFactors(model: BertModel, batches: EncoderBatch[], damp = DEFAULT_DAMP): Float32Array[] {
  const linears = prunableLinears(model);
  const index = new Map<Linear, number>(linears.map((l, i) => [l, i]));
  const gemm = new Gemm(); // one WebAssembly memory for the 24 accumulators (each frees what it used)
  const grams = linears.map((l) => new GramAccumulator(l.in, gemm));
  for (const batch of batches) {
    referenceEncode(model, batch, (linear, input, rows) => {
      const i = index.get(linear);
      if (i !== undefined) grams[i].add(input, rows, (r) => batch.attentionMask[r] !== 0);
    });
  }
  if (grams[0].tokens === 0) throw new RangeError('calibration needs at least one real token');
  return grams.map((g, i) => obsColumnFactors(g.matrix(), linears[i].in, damp));
}
