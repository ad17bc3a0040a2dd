// The whole-model float64 reference gradient (tests/helpers/reference-model-grad, what the GPU
// trainer is compared with) against central finite differences of its own loss, for LayerNorm
// gamma/beta, biases and weights, with distillation and the hidden-state MSE term on: so the
// parameters the fine-tuner now trains and the MSE's gradient are right in the ground truth.
import { describe, expect, it } from 'vitest';
import { buildParamLayout, packParams, unpackParams } from '../../../src/core/train/param-layout';
import { randomBatch, randomBertModel, rng } from '../../helpers/random-bert-model';
import { referenceLossAndGrad } from '../../helpers/reference-model-grad';

describe('whole-model reference gradient vs finite differences', () => {
  it('LayerNorm, bias and weight gradients with distillation and hidden-state MSE', () => {
    const model = randomBertModel({ layers: 2, hidden: 8, heads: 2, ffn: 12, vocab: 20, maxPositions: 8 }, 4);
    const layout = buildParamLayout(model, new Map());
    const b = randomBatch(model, 2, 5, 3);
    const rand = rng(9);
    const T = b.batch * b.seq * model.config.hidden;
    const hidden = {
      weight: 0.7,
      targets: model.layers.map(() => Float64Array.from({ length: T }, () => rand() * 2 - 1)),
    };
    const batch = { ...b, labels: [1, 0], teacher: Float32Array.from([0.3, -0.4, 1.1, 0.2]) };
    const lossOpts = { temperature: 2, alpha: 0.4 };
    const total = (p: Float32Array) => {
      const m = unpackParams(model, layout, p).model;
      const r = referenceLossAndGrad(m, layout, batch, lossOpts, true, hidden);
      return r.loss + r.hiddenLoss;
    };
    const p0 = packParams(model, layout);
    const { grad, hiddenLoss } = referenceLossAndGrad(model, layout, batch, lossOpts, true, hidden);
    expect(hiddenLoss).toBeGreaterThan(0);
    const probe: number[] = [];
    for (const { ln1, ln2 } of layout.layerNorms) for (const s of [ln1, ln2]) probe.push(s.offset, s.offset + 11);
    for (const t of layout.linears.values()) probe.push(t.bias.offset, t.values.offset + 3);
    for (const j of probe) {
      // Parameters are f32: divide by the step actually taken.
      const up = p0.slice(),
        down = p0.slice();
      up[j] = p0[j] + 1e-3;
      down[j] = p0[j] - 1e-3;
      const numeric = (total(up) - total(down)) / (up[j] - down[j]);
      expect(Math.abs(grad[j] - numeric)).toBeLessThan(2e-4 * (1 + Math.abs(numeric)));
    }
  });
});
