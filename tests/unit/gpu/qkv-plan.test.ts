import { describe, expect, it } from 'vitest';
import { planQkv, QKV_AUTO_PAD } from '../../../src/gpu/encoder/qkv-plan';
import { randomHP, rng } from '../../../src/gpu/kernels/random-hp';
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
});
