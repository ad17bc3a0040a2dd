import { describe, expect, it } from 'vitest';
import { decodeHP } from '../../../src/core/formats/hp';
import { stackBias, stackHPRows } from '../../../src/core/formats/hp-stack';
import { randomHP, rng } from '../../../src/gpu/kernels/random-hp';

describe('stackHPRows', () => {
  it('stacks parts on whole tile-rows: each block decodes to its part, padding rows are zero', () => {
    const parts = [1, 2, 3].map((seed) => randomHP(20, 24, 8, 8, 2, 3, rng(seed)));
    const stacked = stackHPRows(parts)!;
    expect(stacked.blockRows).toBe(24);
    expect(stacked.hp.out).toBe(72);
    const w = decodeHP(stacked.hp);
    parts.forEach((p, i) => {
      const part = decodeHP(p);
      expect(Array.from(w.subarray(i * 24 * 24, i * 24 * 24 + 20 * 24))).toEqual(Array.from(part));
      expect(w.subarray(i * 24 * 24 + 20 * 24, (i + 1) * 24 * 24).every((v) => v === 0)).toBe(true);
    });
    const bias = stackBias(
      [Float32Array.of(...Array(20).fill(1)), undefined, Float32Array.of(...Array(20).fill(3))],
      20,
      24,
    );
    expect([bias[0], bias[19], bias[20], bias[24], bias[48], bias[67], bias[68]]).toEqual([1, 1, 0, 0, 3, 3, 0]);
  });

  it('pads rows after the last block: zero rows, a partial tile-row of zeros, zero bias', () => {
    const parts = [1, 2, 3].map((seed) => randomHP(20, 24, 8, 8, 2, 3, rng(seed)));
    const stacked = stackHPRows(parts, 4)!;
    expect(stacked.hp.out).toBe(76);
    const w = decodeHP(stacked.hp);
    expect(Array.from(w.subarray(0, 72 * 24))).toEqual(Array.from(decodeHP(stackHPRows(parts)!.hp)));
    expect(w.subarray(72 * 24).every((v) => v === 0)).toBe(true);
    expect(stackBias([Float32Array.of(...Array(20).fill(1))], 20, 24, 4)).toHaveLength(28);
    expect(stackHPRows(parts, -1)).toBeNull();
  });

  it('refuses parts that do not share a grid', () => {
    const a = randomHP(16, 16, 8, 8, 2, 3, rng(1));
    const b = randomHP(16, 16, 8, 8, 1, 3, rng(2));
    expect(stackHPRows([a, b])).toBeNull();
    expect(stackHPRows([])).toBeNull();
  });
});
