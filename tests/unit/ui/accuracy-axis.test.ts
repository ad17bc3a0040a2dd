import { describe, expect, it } from 'vitest';
import { accuracyAxis, denseLine } from '../../../src/ui/panels/charts/accuracy-axis';

describe('accuracy axis', () => {
  it('starts at the chance level of the task, not at the lowest point', () => {
    expect(accuracyAxis([0.83, 0.81, 0.78], 2)).toEqual({ min: 50, max: 100 });
    expect(accuracyAxis([0.9], 4)).toEqual({ min: 20, max: 100 });
  });
  it('goes lower only when a point falls below chance, rounded down to 10 points', () => {
    expect(accuracyAxis([0.83, 0.47], 2)).toEqual({ min: 40, max: 100 });
    expect(accuracyAxis([Number.NaN, 0.7], 2).min).toBe(50);
    expect(accuracyAxis([], 1).min).toBe(0);
  });
  it('draws the dense reference across the x range', () => {
    const d = denseLine(0.834, 0, 100);
    expect(d.data.map((p) => p.x)).toEqual([0, 100]);
    for (const p of d.data) expect(p.y).toBeCloseTo(83.4, 9);
    expect(d.label).toBe('dense model 83.4%');
  });
});
