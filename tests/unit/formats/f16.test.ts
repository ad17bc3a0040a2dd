import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f16Round, f32ToF16Bits } from '../../../src/core/formats/f16';

describe('f16 conversion', () => {
  it('round-trips all 65536 half values (NaNs stay NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(v)))).toBe(true);
      else expect(f32ToF16Bits(v)).toBe(h);
    }
  });

  it('rounds to nearest, ties to even, with overflow, underflow and subnormals', () => {
    expect(f16Round(1 + 2 ** -11)).toBe(1); // tie -> even (1.0)
    expect(f16Round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // tie -> even (odd mantissa rounds up)
    expect(f16Round(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // above the tie
    expect(f16Round(65504)).toBe(65504);
    expect(f16Round(65520)).toBe(Infinity); // halfway to the next binade -> Inf
    expect(f16Round(65519)).toBe(65504);
    expect(f16Round(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(f16Round(2 ** -25)).toBe(0); // tie -> even (0)
    expect(f16Round(3 * 2 ** -26)).toBe(2 ** -24);
    expect(f16Round(-1.5)).toBe(-1.5);
    expect(f16Round(2 ** -14 - 2 ** -25)).toBe(2 ** -14); // subnormal rounding carries into the normals
  });

  it('is the nearest half value for random floats', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(rand() * 10 ** ((i % 9) - 4));
      const h = f32ToF16Bits(x);
      const v = f16BitsToF32(h);
      const next = f16BitsToF32(h + 1);
      const prev = f16BitsToF32(h - 1);
      expect(Math.abs(x - v)).toBeLessThanOrEqual(Math.abs(x - next));
      expect(Math.abs(x - v)).toBeLessThanOrEqual(Math.abs(x - prev));
    }
  });
});
