import { describe, expect, it } from 'vitest';
import { sliceRanges } from '../../../src/gpu/encoder/tail-hp';

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
