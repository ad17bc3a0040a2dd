import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hpStaircase, planHP, planHPDirect } from '../../../src/core/pruning/hp-plan';
import { sparsity, split } from './arbitraries';

const grid = fc.record({ T: fc.integer({ min: 1, max: 60 }), tc: fc.integer({ min: 1, max: 64 }) });

describe('HP (sparsity, split) -> (m, k)', () => {
  it('the staircase never grows m or k and its density strictly falls to 0', () => {
    fc.assert(
      fc.property(grid, split, ({ T, tc }, sp) => {
        const path = hpStaircase(T, tc, sp);
        expect(path[0]).toEqual([T, tc]);
        expect(path.at(-1)![0] * path.at(-1)![1]).toBe(0);
        for (let i = 1; i < path.length; i++) {
          const [m0, k0] = path[i - 1];
          const [m1, k1] = path[i];
          expect(m1 <= m0 && k1 <= k0).toBe(true);
          expect(m1 * k1).toBeLessThan(m0 * k0);
        }
      }),
    );
  });

  it(
    'picks the non-empty staircase point nearest the target density; ' + 'split 1 keeps k = tc, split 0 keeps m = T',
    () => {
      fc.assert(
        fc.property(grid, sparsity, split, ({ T, tc }, s, sp) => {
          const plan = planHP(T, tc, s, sp);
          const gap = Math.abs(plan.gridDensity - (1 - s));
          if (s < 1) expect(plan.m * plan.k).toBeGreaterThan(0);
          for (const [m, k] of hpStaircase(T, tc, sp)) {
            if (m * k === 0 && s < 1) continue;
            expect(gap).toBeLessThanOrEqual(Math.abs((m * k) / (T * tc) - (1 - s)) + 1e-12);
          }
          if (sp === 1 && plan.m > 0) expect(plan.k).toBe(tc);
          if (sp === 0 && plan.k > 0) expect(plan.m).toBe(T);
        }),
      );
    },
  );

  it('(m, k) shrink monotonically as sparsity grows with the split fixed', () => {
    fc.assert(
      fc.property(grid, sparsity, sparsity, split, ({ T, tc }, a, b, sp) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const p = planHP(T, tc, lo, sp);
        const q = planHP(T, tc, hi, sp);
        expect(q.m <= p.m && q.k <= p.k).toBe(true);
      }),
    );
  });

  it('follows the split: 90% sparsity, 10 x 32 grid', () => {
    expect(planHP(10, 32, 0.9, 1)).toMatchObject({ m: 1, k: 32 });
    expect(planHP(10, 32, 0.9, 0)).toMatchObject({ m: 10, k: 3 });
    const half = planHP(10, 32, 0.9, 0.5);
    // sqrt(0.1) = 0.316: about 3 of 10 tiles and 10 of 32 columns.
    expect(half.m).toBeGreaterThanOrEqual(3);
    expect(half.m).toBeLessThanOrEqual(4);
    expect(Math.abs(half.gridDensity - 0.1)).toBeLessThan(0.01);
  });

  it('sets both ratios directly and rejects bad input', () => {
    expect(planHPDirect(10, 32, 0.5, 0.25)).toMatchObject({ m: 5, k: 8, gridDensity: 0.125 });
    expect(() => planHP(10, 32, 1.5, 0.5)).toThrow(/sparsity/);
    expect(() => planHP(10, 32, 0.5, -0.1)).toThrow(/split/);
    expect(() => planHPDirect(10, 32, 2, 0.5)).toThrow(/tile keep/);
  });
});

describe('planHP never empties a matrix below 100% sparsity', () => {
  it('keeps one column per tile when the nearest grid point would be empty', () => {
    // Tc = 8, vector-only at 95%: densities are multiples of 1/8, 0.05 is nearer 0 than 1/8.
    expect(planHP(4, 8, 0.95, 0)).toMatchObject({ m: 4, k: 1 });
    expect(planHP(4, 8, 1, 0).gridDensity).toBe(0);
  });
});
