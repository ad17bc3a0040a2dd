import { describe, expect, it } from 'vitest';
import { fewestSlices, hpTailFits, sliceRanges, wholeTailLayer } from '../../../src/gpu/encoder/tail-hp';
import { pruneMatrix } from '../../../src/core/pruning';
import { randomBertModel } from '../../helpers/random-bert-model';
import type { HPMatrix } from '../../../src/core/formats/hp';

describe('the HP tail: FFN-out kept columns by slice of the intermediate', () => {
  it('gives each tile-row one contiguous run a slice, in order, none past the inputs', () => {
    // Two tile-rows of 4 kept columns (sorted), slices of 8 inputs over 20 (the last one short).
    const cols = Uint32Array.from([1, 7, 8, 19, 0, 16, 17, 22]);
    const r = sliceRanges(cols, 4, 3, 8, 20);
    // Tile-row 0: [1, 7] in slice 0, [8] in 1, [19] in 2; tile-row 1: [0] in 0, none in 1, [16, 17]
    // in 2, 22 (zero padding past 20 inputs) in none.
    expect(Array.from(r)).toEqual([0, 2, 2, 3, 3, 4, 0, 1, 1, 1, 1, 3]);
  });

  it('one slice takes every kept column below the inputs', () => {
    const cols = Uint32Array.from([2, 5, 9, 30]);
    expect(Array.from(sliceRanges(cols, 4, 1, 32, 32))).toEqual([0, 4]);
    expect(Array.from(sliceRanges(cols, 4, 1, 32, 16))).toEqual([0, 3]);
  });
});

describe('the HP tail: slices by workgroup memory', () => {
  // A layer of hidden 32, FFN 96, tiles 8 x 8 at 50 %: 12 FFN-in tile-rows.
  const model = randomBertModel({ hidden: 32, heads: 4, ffn: 96, layers: 1 }, 31);
  const sparse = new Map<string, HPMatrix>();
  for (const l of [model.layers[0].attnOut, model.layers[0].ffnIn, model.layers[0].ffnOut]) {
    const r = pruneMatrix(
      { name: l.name, out: l.out, in: l.in, weight: l.weight },
      { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 8, tc: 8, split: 0.5 },
    );
    sparse.set(l.name, r.hp!);
  }
  const layer = wholeTailLayer(model.layers[0], sparse)!;

  it('takes one slice where memory allows, more where it does not, none where nothing fits', () => {
    expect(fewestSlices({ maxComputeWorkgroupStorageSize: 16384 }, layer, 32, 16)).toBe(1);
    // One slice holds 96 FFN outputs in vin: a tighter limit needs more slices, each holding fewer.
    const one = fewestSlices({ maxComputeWorkgroupStorageSize: 1 << 20 }, layer, 32, 16)!;
    const tight = fewestSlices({ maxComputeWorkgroupStorageSize: 2600 }, layer, 32, 16);
    expect(one).toBe(1);
    expect(tight).toBeGreaterThan(1);
    expect(fewestSlices({ maxComputeWorkgroupStorageSize: 512 }, layer, 32, 16)).toBeNull();
    expect(hpTailFits({ maxComputeWorkgroupStorageSize: 512 }, layer, 32, 96, 16)).toBe(false);
    expect(hpTailFits({ maxComputeWorkgroupStorageSize: 16384 }, layer, 32, 96, 16)).toBe(true);
    // Not a layer's output side of these sizes.
    expect(hpTailFits({ maxComputeWorkgroupStorageSize: 16384 }, layer, 32, 48, 16)).toBe(false);
  });
});
