import { describe, expect, it } from 'vitest';
import { decodeHP, encodeHP, hpBytes, hpDensity, hpMask, packHPForGPU } from '../../src/core/formats/hp';
import { f16BitsToF32 } from '../../src/core/formats/f16';

describe('HP format', () => {
  // W is 3 x 5 with tiles 2 x 2: 2 tile-rows (last one ragged) x 3 tile-columns (last ragged).
  const weight = Float32Array.from({ length: 15 }, (_, i) => i + 1);
  const shape = { out: 3, in: 5, tr: 2, tc: 2, m: 2, k: 1 };
  const tileCol = Uint16Array.of(0, 2, 1, 2);
  const colOff = Uint8Array.of(1, 0, 0, 1); // tile (1,2) keeps padding column 5: nothing stored

  it('gathers kept columns and decodes them back in place', () => {
    const hp = encodeHP(weight, shape, tileCol, colOff);
    // tile (0,0) col 1 rows 0..1 -> W[0][1]=2, W[1][1]=7; tile (0,2) col 4 -> 5, 10
    // tile (1,1) col 2 row 2 -> 13, padded row -> 0; tile (1,2) col 5 (padding) -> 0, 0
    expect([...hp.values]).toEqual([2, 7, 5, 10, 13, 0, 0, 0]);
    const dense = decodeHP(hp);
    const expected = new Float32Array(15);
    for (const [r, c] of [
      [0, 1],
      [1, 1],
      [0, 4],
      [1, 4],
      [2, 2],
    ])
      expected[r * 5 + c] = weight[r * 5 + c];
    expect([...dense]).toEqual([...expected]);
    expect(hpMask(hp).reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('counts bytes and density', () => {
    expect(hpDensity(shape)).toBeCloseTo((2 / 3) * (1 / 2));
    expect(hpBytes(shape, 'f32')).toBe(28 + 4 * 2 + 4 * 1 + 4 * 1 * 2 * 4);
    expect(hpBytes(shape, 'f16')).toBe(28 + 8 + 4 + 16);
  });

  it('packs u16 and u8 indices little-endian into u32 words', () => {
    const gpu = packHPForGPU(encodeHP(weight, shape, tileCol, colOff));
    expect([...gpu.tileCol]).toEqual([0 | (2 << 16), 1 | (2 << 16)]);
    expect([...gpu.colOff]).toEqual([1 | (0 << 8) | (0 << 16) | (1 << 24)]);
    expect([...gpu.header]).toEqual([3, 5, 2, 2, 2, 1, 2, 3]);
  });

  it('packs f16 values two per word, low half first (what unpack2x16float reads)', () => {
    const hp = encodeHP(weight, shape, tileCol, colOff);
    const gpu = packHPForGPU(hp, 'f16');
    expect(gpu.values).toBeInstanceOf(Uint32Array);
    expect(gpu.values.length).toBe(Math.ceil(hp.values.length / 2));
    const halves = new Uint16Array(gpu.values.buffer);
    // 2 = 0x4000, 7 = 0x4700 in binary16; the stored values are exact small integers.
    expect(halves[0]).toBe(0x4000);
    expect(halves[1]).toBe(0x4700);
    hp.values.forEach((v, i) => expect(f16BitsToF32(halves[i])).toBe(v));
  });

  it('rejects an impossible shape', () => {
    expect(() => encodeHP(weight, { ...shape, m: 4 }, tileCol, colOff)).toThrow(/invalid HP shape/);
  });
});
