// The fine-tuning learning-rate schedule: linear warm-up to the peak, then linear decay.
import { describe, expect, it } from 'vitest';
import { learningRate, validateSettings, FINETUNE_DEFAULTS } from '../../../src/lab/finetune';

describe('learningRate', () => {
  it('without warm-up decays linearly from the peak at the first step', () => {
    const s = { lr: 1e-3 };
    expect([0, 1, 5, 9].map((i) => learningRate(s, i, 10))).toEqual(
      [1e-3, 9e-4, 5e-4, 1e-4].map((x) => expect.closeTo(x, 12)),
    );
    expect(learningRate({ lr: 1e-3, warmup: 0 }, 3, 10)).toBeCloseTo(7e-4, 12);
  });

  it('rises over the warm-up steps to the peak, then decays to 0 after the last step', () => {
    const s = { lr: 1e-3, warmup: 0.2 }; // 2 of 10 steps
    const lrs = Array.from({ length: 10 }, (_, i) => learningRate(s, i, 10));
    expect(lrs[0]).toBeCloseTo(1e-3 / 3, 12);
    expect(lrs[1]).toBeCloseTo((2 * 1e-3) / 3, 12);
    expect(lrs[2]).toBeCloseTo(1e-3, 12);
    expect(lrs[9]).toBeCloseTo(1e-3 / 8, 12);
    expect(Math.max(...lrs)).toBeCloseTo(1e-3, 12);
    // A one-step run has no room to warm up: the peak.
    expect(learningRate(s, 0, 1)).toBe(1e-3);
  });

  it('rejects a warm-up outside [0, 0.5]', () => {
    expect(() => validateSettings({ ...FINETUNE_DEFAULTS, warmup: 0.6 })).toThrow(/warm-up must be/);
    expect(() => validateSettings({ ...FINETUNE_DEFAULTS, warmup: -0.1 })).toThrow(/warm-up must be/);
    expect(() => validateSettings({ ...FINETUNE_DEFAULTS, warmup: 0.1 })).not.toThrow();
  });
});
