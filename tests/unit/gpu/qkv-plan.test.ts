import { describe, expect, it } from 'vitest';
import { planQkv, QKV_AUTO_PAD } from '../../../src/gpu/encoder/qkv-plan';
import { randomHP, rng } from '../../../src/gpu/kernels/random-hp';
import { ffnInLive, keptInputs, LIVE_MIN_TOKENS, liveHeads, qkvLive } from '../../../src/gpu/encoder/live-outputs';
import { liveRowMap } from '../../../src/gpu/kernels/hp-columns';
import { encodeHP } from '../../../src/core/formats/hp';
import { randomBertModel } from '../../helpers/random-bert-model';

describe('planQkv', () => {
  // HP Q/K/V on tiles of `tile` rows: blocks of whole tile-rows, stacked into one linear.
  const plan = (hidden: number, tile: number, pad: number | 'auto') => {
    const layer = randomBertModel({ hidden, heads: 2 }).layers[0];
    const sparse = new Map(
      [layer.q, layer.k, layer.v].map((l, i) => [l.name, randomHP(hidden, hidden, tile, tile, 1, 3, rng(i + 1))]),
    );
    return planQkv(layer, sparse, hidden, pad);
  };

  it("'auto' pads stacked rows that would be a multiple of 64 floats, and only those", () => {
    // 3 blocks of 64 = 192 floats: padded to 200, the pad zero rows of the stacked linear.
    const padded = plan(64, 32, 'auto');
    expect(QKV_AUTO_PAD).toBe(8);
    expect(padded.layout).toEqual({ stride: 192 + QKV_AUTO_PAD, q: 0, k: 64, v: 128 });
    expect(padded.fused?.kind === 'hp' && padded.fused.hp.out).toBe(192 + QKV_AUTO_PAD);
    expect(padded.fused?.bias).toHaveLength(192 + QKV_AUTO_PAD);
    // 3 blocks of 40 = 120 floats: left as they are; an explicit pad is taken as given.
    expect(plan(40, 8, 'auto').layout.stride).toBe(120);
    expect(plan(64, 32, 0).layout.stride).toBe(192);
    expect(plan(40, 8, 4).layout.stride).toBe(124);
  });

  it('dense Q/K/V are stacked unpadded', () => {
    const layer = randomBertModel({ hidden: 64, heads: 2 }).layers[0];
    expect(planQkv(layer, new Map(), 64, 'auto').layout).toEqual({ stride: 192, q: 0, k: 64, v: 128 });
  });

  it('live outputs: unread V outputs and heads, the pad, FFN-in outputs FFN-out does not keep', () => {
    // Attention output 8 -> 8 on 4x4 tiles, one tile a tile-row, two columns each: kept inputs 1, 2, 4, 7.
    const tileCol = Uint16Array.of(0, 1);
    const colOff = Uint8Array.of(1, 2, 0, 3);
    const attnOut = encodeHP(
      new Float32Array(64).fill(1),
      { out: 8, in: 8, tr: 4, tc: 4, m: 1, k: 2 },
      tileCol,
      colOff,
    );
    expect(Array.from(keptInputs(attnOut))).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
    // Stacked Q/K/V of hidden 8 in blocks of 8 and 4 pad rows: Q, K and the kept V columns read.
    const q = qkvLive(28, { stride: 28, q: 0, k: 8, v: 16 }, 8, attnOut, 'rows')!;
    expect(Array.from(q.live)).toEqual([...Array(16).fill(1), 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    expect(qkvLive(28, { stride: 28, q: 0, k: 8, v: 16 }, 8, attnOut, 'off')).toBeUndefined();
    // Heads: of 4 heads of 2 every one runs, each reading one of its columns (dims: bit e for column
    // e of the head); of 8 heads of 1, heads 1, 2, 4, 7 alone, each reading its whole column (no
    // dims), and Q/K of the others are not read either.
    expect(liveHeads(attnOut, 4, 'rows')).toEqual({
      bits: 0b1111,
      count: 4,
      minTokens: 0,
      dims: [0b10, 0b01, 0b01, 0b10],
      valueDims: 1,
    });
    expect(liveHeads(attnOut, 8, 'auto')).toEqual({ bits: 0b10010110, count: 4, minTokens: LIVE_MIN_TOKENS });
    expect(liveHeads(attnOut, 8, 'off')).toBeUndefined();
    const kept = [0, 1, 1, 0, 1, 0, 0, 1];
    const q8 = qkvLive(28, { stride: 28, q: 0, k: 8, v: 16 }, 8, attnOut, 'rows', 8)!;
    expect(Array.from(q8.live)).toEqual([...kept, ...kept, ...kept, 0, 0, 0, 0]);
    // On tile-rows of 4: rows 0-5 run (row 6, the pad, does not); with the mask, the read outputs' bits.
    expect(Array.from(liveRowMap(28, 4, q)!.words)).toEqual([0, 1, 2, 3, 4, 5]);
    const masked = liveRowMap(28, 4, { ...q, mask: true })!;
    expect([masked.rows, masked.stride]).toEqual([6, 2]);
    expect(Array.from(masked.words.subarray(8))).toEqual([4, 0b0110, 5, 0b1001]);
    // FFN-out 8 <- 8 keeping inputs 1, 2, 4, 7: FFN-in's outputs 1, 2, 4, 7; all read: no map.
    expect(Array.from(ffnInLive(attnOut, 'mask')!.live)).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
    expect(ffnInLive(undefined, 'mask')).toBeUndefined();
    expect(liveRowMap(4, 4, { live: new Uint8Array(4).fill(1), mask: true, minTokens: 0 })).toBeNull();
    // 'auto': the tile-rows only, from LIVE_MIN_TOKENS tokens a call; 'rows' from any.
    expect(ffnInLive(attnOut, 'auto')).toMatchObject({ mask: false, minTokens: LIVE_MIN_TOKENS });
    expect(q.minTokens).toBe(0);
  });
});
