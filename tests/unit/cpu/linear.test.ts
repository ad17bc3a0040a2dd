import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { denseLinear, hpLinear } from '../../../src/core/cpu/linear';
import { decodeHP, encodeHP, tileGrid } from '../../../src/core/formats/hp';
import { measureCpuLinear, median } from '../../../src/core/cpu/measure';
import { choose, randomArray, rng } from '../../../src/core/random';

/** A random valid HP selection: sorted distinct tile columns and column offsets. */
function randomHp(out: number, nIn: number, tr: number, tc: number, m: number, k: number, seed: number) {
  const rand = rng(seed);
  const weight = randomArray(out * nIn, rand);
  const { tileRows, tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
  const tileCol = Uint16Array.from(Array.from({ length: tileRows }, () => choose(tilesPerRow, m, rand)).flat());
  const colOff = Uint8Array.from(Array.from({ length: tileRows * m }, () => choose(tc, k, rand)).flat());
  return { weight, hp: encodeHP(weight, { out, in: nIn, tr, tc, m, k }, tileCol, colOff) };
}

describe('CPU linear kernels', () => {
  it('dense matches a hand-computed product with bias', () => {
    // x = [[1, 2]], W = [[1, 0], [0, 1], [1, 1]], b = [0, 1, 2] -> [1, 3, 5]
    const y = denseLinear(Float32Array.of(1, 2), 1, Float32Array.of(1, 0, 0, 1, 1, 1), 3, 2, Float32Array.of(0, 1, 2));
    expect([...y]).toEqual([1, 3, 5]);
  });

  it('HP equals dense on the decoded (zero-filled) weight, for ragged shapes', () => {
    fc.assert(
      fc.property(
        fc.record({
          out: fc.integer({ min: 1, max: 40 }),
          nIn: fc.integer({ min: 1, max: 40 }),
          tr: fc.constantFrom(2, 4, 8),
          tc: fc.constantFrom(2, 4, 8),
          tokens: fc.integer({ min: 1, max: 5 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
          mFrac: fc.double({ min: 0, max: 1, noNaN: true }),
          kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        ({ out, nIn, tr, tc, tokens, seed, mFrac, kFrac }) => {
          const { tilesPerRow } = tileGrid({ out, in: nIn, tr, tc });
          const m = Math.round(mFrac * tilesPerRow);
          const k = Math.round(kFrac * tc);
          const { hp } = randomHp(out, nIn, tr, tc, m, k, seed);
          const x = Float32Array.from({ length: tokens * nIn }, (_, i) => Math.cos(i));
          const bias = Float32Array.from({ length: out }, (_, i) => i / 10);
          const expected = denseLinear(x, tokens, decodeHP(hp), out, nIn, bias);
          const got = hpLinear(x, tokens, hp, bias);
          for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 4);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('measures both kernels and reports consistent figures', () => {
    const { weight, hp } = randomHp(16, 24, 4, 4, 2, 2, 7);
    const r = measureCpuLinear(hp, weight, 4, 3);
    expect(r.density).toBeCloseTo((2 / 6) * (2 / 4)); // 16 x 24 has no ragged tiles
    const ragged = randomHp(15, 22, 4, 4, 6, 4, 7); // every tile kept, edges padded
    expect(measureCpuLinear(ragged.hp, ragged.weight, 1, 1).density).toBe(1);
    expect(r.denseGflops).toBeGreaterThan(0);
    expect(r.hpDenseEquivalentGflops / r.hpGflops).toBeCloseTo(1 / r.density, 6);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
