// IEEE 754 binary16 <-> binary32, round to nearest even (what Float16Array and GPUs do).
// Node 20 has neither Float16Array nor Math.f16round, so the format code carries its own.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (stays NaN)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal -> 0
    mant |= 0x800000; // implicit 1
    const shift = 14 - e; // 14..24
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h; // may carry into the smallest normal: still the right bits
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // carry may round up to Inf: correct
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The f32 value an f16 store/load round trip gives. */
export function f16Round(value: number): number {
  return f16BitsToF32(f32ToF16Bits(value));
}

/** f16 bits of `values`, two per u32 word (value 2i in the low half, as unpack2x16float reads
 *  it); at least one word. */
export function packF16Pairs(values: ArrayLike<number>): Uint32Array {
  const words = new Uint32Array(Math.max(1, Math.ceil(values.length / 2)));
  for (let i = 0; i < values.length; i++) words[i >> 1] |= f32ToF16Bits(values[i]) << (16 * (i & 1));
  return words;
}

/** `values` as an f16 store/load round trip leaves them. */
export function f16RoundArray(values: Float32Array): Float32Array {
  return values.map(f16Round);
}
