import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NM_M, pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import type { PruneConfig } from '../../../src/core/pruning/types';
import { isSubset, matrixCase, sparsity, type Case } from './arbitraries';

const base = (c: Case) => ({ name: 'w', out: c.out, in: c.in, weight: c.weight });
const conf = (pattern: PruneConfig['pattern'], s: number, extra: Partial<PruneConfig> = {}): PruneConfig => ({
  pattern,
  sparsity: s,
  split: 0.5,
  tr: 4,
  tc: 4,
  score: 'magnitude',
  ...extra,
});

/** Every kept score >= every pruned score within each group (start, length). */
function groupOrdered(c: Case, mask: Uint8Array, groups: Array<[number, number]>) {
  for (const [start, len] of groups) {
    let minKept = Infinity;
    let maxPruned = -Infinity;
    for (let i = start; i < start + len; i++) {
      const s = Math.abs(c.weight[i]);
      if (mask[i]) minKept = Math.min(minKept, s);
      else maxPruned = Math.max(maxPruned, s);
    }
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  }
}

describe('unstructured', () => {
  it('keeps round(d * size) top-scoring weights, nested in sparsity', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, sparsity, (c, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const r = pruneMatrix(base(c), conf('unstructured', lo));
        const n = c.out * c.in;
        expect(r.kept).toBe(Math.round((1 - lo) * n));
        expect(r.mask.reduce((x, y) => x + y, 0)).toBe(r.kept);
        expect(r.achievedSparsity).toBe(1 - r.kept / n);
        groupOrdered(c, r.mask, [[0, n]]);
        expect(isSubset(pruneMatrix(base(c), conf('unstructured', hi)).mask, r.mask)).toBe(true);
      }),
    );
  });
});

describe('row-balanced', () => {
  it('every row keeps the same round(d * in) top weights, nested in sparsity', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, sparsity, (c, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const r = pruneMatrix(base(c), conf('row-balanced', lo));
        const perRow = Math.round((1 - lo) * c.in);
        for (let row = 0; row < c.out; row++)
          expect(r.mask.subarray(row * c.in, (row + 1) * c.in).reduce((x, y) => x + y, 0)).toBe(perRow);
        expect(r.kept).toBe(perRow * c.out);
        groupOrdered(
          c,
          r.mask,
          Array.from({ length: c.out }, (_, row) => [row * c.in, c.in] as [number, number]),
        );
        expect(isSubset(pruneMatrix(base(c), conf('row-balanced', hi)).mask, r.mask)).toBe(true);
      }),
    );
  });
});

describe('N:M', () => {
  const groupsOf = (c: Case, M: number) => {
    const g: Array<[number, number]> = [];
    for (let row = 0; row < c.out; row++)
      for (let s = 0; s < c.in; s += M) g.push([row * c.in + s, Math.min(M, c.in - s)]);
    return g;
  };

  it('N:M holds in every group of M consecutive inputs (a short trailing group keeps min(N, g))', () => {
    fc.assert(
      fc.property(
        matrixCase(),
        fc.integer({ min: 1, max: 8 }).chain((M) => fc.tuple(fc.constant(M), fc.integer({ min: 0, max: M }))),
        (c, [M, N]) => {
          const r = pruneMatrix(base(c), conf('nm', 0, { nmM: M, nmN: N }));
          const groups = groupsOf(c, M);
          for (const [start, len] of groups)
            expect(r.mask.subarray(start, start + len).reduce((x, y) => x + y, 0)).toBe(Math.min(N, len));
          groupOrdered(c, r.mask, groups);
          if (N > 0)
            expect(isSubset(pruneMatrix(base(c), conf('nm', 0, { nmM: M, nmN: N - 1 })).mask, r.mask)).toBe(true);
          expect(r.params).toEqual({ n: N, m: M });
        },
      ),
    );
  });

  it('2:4 and 1:4 give 50% and 75% on whole groups; N follows the sparsity with M = 20 by default', () => {
    const c: Case = {
      out: 3,
      in: 8,
      tr: 1,
      tc: 1,
      weight: Float32Array.from({ length: 24 }, (_, i) => ((i * 5) % 7) - 3),
    };
    expect(pruneMatrix(base(c), conf('nm', 0, { nmM: 4, nmN: 2 })).achievedSparsity).toBe(0.5);
    expect(pruneMatrix(base(c), conf('nm', 0, { nmM: 4, nmN: 1 })).achievedSparsity).toBe(0.75);
    const wide: Case = { out: 2, in: 40, tr: 1, tc: 1, weight: Float32Array.from({ length: 80 }, (_, i) => i % 9) };
    expect(DEFAULT_NM_M).toBe(20);
    for (const s of [0.5, 0.7, 0.8, 0.9, 0.95])
      expect(pruneMatrix(base(wide), conf('nm', s)).achievedSparsity).toBeCloseTo(s, 12);
    expect(() => pruneMatrix(base(c), conf('nm', 0, { nmM: 4, nmN: 5 }))).toThrow(/0 <= N <= M/);
  });
});
