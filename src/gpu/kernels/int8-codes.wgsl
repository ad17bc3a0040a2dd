// Per-token int8 activation codes, bit for bit core/quant/quantize.ts (shared by int8-quantize.wgsl
// and the encoder's LayerNorm that writes the next linear's codes): scale = f32(amax * f32(1/127)),
// inverse = f32(127 / amax) correctly rounded (integer long division: WGSL's f32 division may be
// 2.5 ulp off), code = clamp(round(x * inverse), ±127) (round() is half-even, as roundHalfEven).

const INV_QMAX = 0.0078740157; // f32(1/127) exactly (bits 0x3c010204)
const MIN_RANGE = 7.888609052210118e-31; // 2^-100 (quantize.ts MIN_RANGE)

/** f32(127 / a) correctly rounded, for normal a >= 2^-100 (a = m * 2^(E - 150)). */
fn inverse127(a: f32) -> f32 {
  let bits = bitcast<u32>(a);
  let m = (bits & 0x7fffffu) | 0x800000u;
  var e = 109 - i32(bits >> 23u); // 127/a = (127/m) * 2^(150-E) ~ q * 2^(109-E)
  var rem = 127u;
  var q = 0u;
  for (var i = 0u; i < 41u; i++) { // q = floor(127 * 2^41 / m): 24 or 25 bits
    rem = rem << 1u;
    q = q << 1u;
    if (rem >= m) { rem = rem - m; q = q | 1u; }
  }
  if (q < 0x1000000u) { // one more bit: 25 bits = 24 + the rounding bit
    rem = rem << 1u;
    q = q << 1u;
    if (rem >= m) { rem = rem - m; q = q | 1u; }
    e = e - 1;
  }
  let half = q & 1u;
  q = q >> 1u;
  e = e + 1;
  if (half == 1u && (rem != 0u || (q & 1u) == 1u)) { q = q + 1u; } // nearest, ties to even
  return ldexp(f32(q), e);
}

/** (scale, inverse) of a row whose largest |x| is amax; both 0 for a range too small or not
 *  finite (every code 0). */
fn int8Range(amax: f32) -> vec2<f32> {
  if (amax >= MIN_RANGE && amax <= 3.4028234663852886e38) { return vec2<f32>(amax * INV_QMAX, inverse127(amax)); }
  return vec2<f32>(0.0);
}

/** The code of x as the low byte of a u32. */
fn int8Code(x: f32, inv: f32) -> u32 {
  return u32(i32(clamp(round(x * inv), -127.0, 127.0))) & 0xffu;
}
