import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHP, hpMask, tileGrid } from '../../../src/core/formats/hp';
import { applyMask, pruneMatrix } from '../../../src/core/pruning/prune-matrix';
import type { PruneConfig } from '../../../src/core/pruning/types';
import { isSubset, matrixCase, sparsity, split, type Case } from './arbitraries';

const cfg = (c: Case, s: number, sp: number, pattern: PruneConfig['pattern'] = 'hp'): PruneConfig => ({
  pattern,
  sparsity: s,
  split: sp,
  tr: c.tr,
  tc: c.tc,
  score: 'magnitude',
});
const run = (c: Case, s: number, sp: number, pattern?: PruneConfig['pattern']) =>
  pruneMatrix({ name: 'w', out: c.out, in: c.in, weight: c.weight }, cfg(c, s, sp, pattern));

// Reference scores computed independently of the implementation (exact: integer weights).
function colScore(c: Case, tRow: number, col: number): number {
  let s = 0;
  for (let r = tRow * c.tr; r < Math.min(c.out, (tRow + 1) * c.tr); r++) s += Math.abs(c.weight[r * c.in + col]);
  return s;
}
function tileScore(c: Case, tRow: number, tile: number): number {
  let s = 0;
  for (let col = tile * c.tc; col < Math.min(c.in, (tile + 1) * c.tc); col++) s += colScore(c, tRow, col);
  return s;
}

describe('hierarchical pruning', () => {
  it('keeps exactly m tiles per tile-row and k columns per kept tile, sorted and distinct', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, split, (c, s, sp) => {
        const r = run(c, s, sp);
        const hp = r.hp!;
        const { tileRows, tilesPerRow } = tileGrid(c);
        const { m, k } = hp;
        expect(r.params).toMatchObject({ m, k, tilesPerRow });
        expect(hp.tileCol.length).toBe(tileRows * m);
        expect(hp.colOff.length).toBe(tileRows * m * k);
        for (let t = 0; t < tileRows; t++) {
          for (let j = 1; j < m; j++) expect(hp.tileCol[t * m + j]).toBeGreaterThan(hp.tileCol[t * m + j - 1]);
          for (let j = 0; j < m; j++) {
            expect(hp.tileCol[t * m + j]).toBeLessThan(tilesPerRow);
            for (let q = 1; q < k; q++)
              expect(hp.colOff[(t * m + j) * k + q]).toBeGreaterThan(hp.colOff[(t * m + j) * k + q - 1]);
          }
        }
      }),
    );
  });

  it('mask, HPMatrix and pruned weights agree, and achieved sparsity equals the formula', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, split, (c, s, sp) => {
        const r = run(c, s, sp);
        const hp = r.hp!;
        expect(hpMask(hp)).toEqual(r.mask);
        expect(decodeHP(hp)).toEqual(applyMask(c.weight, r.mask));
        // kept = sum over tile-rows of (real rows) x (kept columns that are real, not padding)
        let kept = 0;
        const { tileRows } = tileGrid(c);
        for (let t = 0; t < tileRows; t++) {
          const rows = Math.min(c.out, (t + 1) * c.tr) - t * c.tr;
          for (let j = 0; j < hp.m; j++) {
            for (let q = 0; q < hp.k; q++)
              if (hp.tileCol[t * hp.m + j] * c.tc + hp.colOff[(t * hp.m + j) * hp.k + q] < c.in) kept += rows;
          }
        }
        expect(r.kept).toBe(kept);
        expect(r.achievedSparsity).toBe(1 - kept / (c.out * c.in));
        // On an exact tile grid that is the design formula 1 - (m / tilesPerRow) * (k / tc).
        if (c.out % c.tr === 0 && c.in % c.tc === 0) {
          expect(r.achievedSparsity).toBeCloseTo(1 - (hp.m / tileGrid(c).tilesPerRow) * (hp.k / c.tc), 12);
        }
      }),
    );
  });

  it('no pruned tile outscores a kept tile of its tile-row; no pruned column outscores a kept one of its tile', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, split, (c, s, sp) => {
        const hp = run(c, s, sp).hp!;
        const { tileRows, tilesPerRow } = tileGrid(c);
        for (let t = 0; t < tileRows; t++) {
          const kept = new Set(Array.from(hp.tileCol.subarray(t * hp.m, (t + 1) * hp.m)));
          const keptMin = Math.min(...[...kept].map((j) => tileScore(c, t, j)));
          for (let j = 0; j < tilesPerRow; j++)
            if (!kept.has(j)) expect(tileScore(c, t, j)).toBeLessThanOrEqual(keptMin);
          for (const j of kept) {
            const slot = t * hp.m + [...kept].indexOf(j);
            const cols = new Set(Array.from(hp.colOff.subarray(slot * hp.k, (slot + 1) * hp.k)));
            const real = (o: number) => j * c.tc + o < c.in;
            const keptCols = [...cols].filter(real).map((o) => colScore(c, t, j * c.tc + o));
            if (keptCols.length < [...cols].length) {
              // a padding column is only kept once every real column of the tile is kept
              for (let o = 0; o < c.tc; o++) if (real(o)) expect(cols.has(o)).toBe(true);
            }
            const minKept = Math.min(...keptCols);
            for (let o = 0; o < c.tc; o++)
              if (real(o) && !cols.has(o)) expect(colScore(c, t, j * c.tc + o)).toBeLessThanOrEqual(minKept);
          }
        }
      }),
    );
  });

  it('masks are nested as sparsity grows with the split fixed (also tile-only and vector-only)', () => {
    fc.assert(
      fc.property(
        matrixCase(),
        sparsity,
        sparsity,
        split,
        fc.constantFrom('hp', 'tile', 'vector') as fc.Arbitrary<PruneConfig['pattern']>,
        (c, a, b, sp, pattern) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(isSubset(run(c, hi, sp, pattern).mask, run(c, lo, sp, pattern).mask)).toBe(true);
        },
      ),
    );
  });

  it('tile-only keeps whole tiles (k = tc) and vector-only keeps every tile (m = tilesPerRow)', () => {
    fc.assert(
      fc.property(matrixCase(), sparsity, (c, s) => {
        const tile = run(c, s, 0.3, 'tile').hp!;
        if (tile.m > 0) expect(tile.k).toBe(c.tc);
        const vec = run(c, s, 0.3, 'vector').hp!;
        if (vec.k > 0) expect(vec.m).toBe(tileGrid(c).tilesPerRow);
      }),
    );
  });

  it('uses activation-aware scores |w| * ||x_j||', () => {
    // 1 x 4, tiles 1 x 4, keep 2 columns: magnitude keeps cols 0, 1; a large norm on col 3 wins.
    const weight = Float32Array.of(4, 3, 2, 1);
    const base = { name: 'w', out: 1, in: 4, weight };
    const c: PruneConfig = { pattern: 'vector', sparsity: 0.5, split: 0, tr: 1, tc: 4, score: 'magnitude' };
    expect(Array.from(pruneMatrix(base, c).mask)).toEqual([1, 1, 0, 0]);
    const act = pruneMatrix({ ...base, inputNorms: Float32Array.of(1, 1, 1, 10) }, { ...c, score: 'activation' });
    expect(Array.from(act.mask)).toEqual([1, 0, 0, 1]);
    expect(() => pruneMatrix(base, { ...c, score: 'activation' })).toThrow(/input-feature norms/);
    expect(() => pruneMatrix({ ...base, inputNorms: new Float32Array(3) }, { ...c, score: 'activation' })).toThrow(
      /expected 4/,
    );
  });

  it('rejects bad configs with a clear message', () => {
    const base = { name: 'w', out: 2, in: 2, weight: new Float32Array(4) };
    const c: PruneConfig = { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 1, tc: 2, score: 'magnitude' };
    expect(() => pruneMatrix(base, { ...c, tc: 300 })).toThrow(/tile columns/);
    expect(() => pruneMatrix(base, { ...c, sparsity: -1 })).toThrow(/sparsity/);
    expect(() => pruneMatrix(base, { ...c, pattern: 'nope' as never })).toThrow(/unknown pattern/);
    expect(() => pruneMatrix({ ...base, weight: Float32Array.of(1, NaN, 0, 0) }, c)).toThrow(/not finite/);
    expect(() => pruneMatrix({ ...base, weight: new Float32Array(3) }, c)).toThrow(/expected 2 x 2/);
  });
});
