import { describe, expect, it } from 'vitest';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { elementScores } from '../../../src/core/pruning/scores';
import { GramAccumulator } from '../../../src/core/recover/gram';
import { collectObsFactors, obsColumnFactors } from '../../../src/core/recover/obs-scores';
import { dampedGram } from '../../../src/core/recover/reconstruct';
import { rng } from '../../../src/core/random';
import { PruneSession } from '../../../src/lab/prune-session';
import type { PruneConfig } from '../../../src/core/pruning';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { randomBatch } from '../../helpers/random-bert-model';

/** diag(A⁻¹) by Gauss-Jordan with partial pivoting (not Cholesky). */
function inverseDiagonal(a: Float64Array, n: number): number[] {
  const m = Array.from({ length: n }, (_, i) => [
    ...Array.from(a.subarray(i * n, i * n + n)),
    ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  ]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let q = 0; q < 2 * n; q++) m[c][q] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let q = 0; q < 2 * n; q++) m[r][q] -= f * m[c][q];
    }
  }
  return Array.from({ length: n }, (_, j) => m[j][n + j]);
}

describe('OBS saliency scores', () => {
  it('column factors are 1 / sqrt([(H + λI)⁻¹]_jj)', () => {
    const n = 9;
    const rand = rng(3);
    const g = new GramAccumulator(n);
    const x = Float32Array.from({ length: 30 * n }, (_, i) => rand() - 0.5 + (i % n === 2 ? 0.8 * (rand() - 0.5) : 0));
    g.add(x, 30);
    const h = g.matrix();
    const diag = inverseDiagonal(dampedGram(h, n, 0.05), n);
    const got = obsColumnFactors(h, n, 0.05);
    got.forEach((v, j) => expect(v).toBeCloseTo(1 / Math.sqrt(diag[j]), 5));
    // The score: |w_ij| times the factor (the square root of w² / [H⁻¹]_jj).
    const w = Float32Array.from({ length: 2 * n }, () => rand() - 0.5);
    const s = elementScores(w, 2, n, 'obs', got);
    s.forEach((v, i) => expect(v).toBeCloseTo(Math.sqrt(w[i] ** 2 / diag[i % n]), 5));
    expect(() => elementScores(w, 2, n, 'obs')).toThrow(/OBS column factors/);
  });

  it('prunes a model by OBS saliency from a calibration run (another mask than |w|)', () => {
    const session = new PruneSession(
      parseBertOnnx(buildTinyBertOnnx({ layers: 2, hidden: 24, heads: 3, ffn: 40, seed: 4 }).bytes),
    );
    const factors = collectObsFactors(session.model, [randomBatch(session.model, 6, 10, 9)]);
    expect(factors.map((f) => f.length)).toEqual(session.matrices().map((m) => m.in));
    expect(factors.every((f) => f.every((v) => Number.isFinite(v) && v > 0))).toBe(true);
    const config: PruneConfig = { pattern: 'hp', sparsity: 0.6, score: 'obs', tr: 4, tc: 4, split: 0.5 };
    expect(() => session.prune(config)).toThrow(/OBS column factors/);
    session.setInputNorms(factors, 'obs');
    expect(session.hasInputNorms).toBe(false); // activation norms are a separate thing
    const obs = session.prune(config).matrices.map((m) => m.mask);
    const magnitude = session.prune({ ...config, score: 'magnitude' }).matrices.map((m) => m.mask);
    expect(obs.some((m, i) => m.some((v, j) => v !== magnitude[i][j]))).toBe(true);
  });
});
