// The int8 activation scale and codes of core/quant/quantize.ts, bit for bit (appended to the
// kernels that quantize: int8-quantize.wgsl, the int8 residual + LayerNorm): scale =
// f32(a * f32(1/127)) and inverse = f32(127 / a) correctly rounded (integer long division: WGSL's
// f32 division may be 2.5 ulp off), code = clamp(round(x * inverse), ±127) (round() is half-even
// in WGSL, as roundHalfEven).

const INV_QMAX = 0.0078740157; // f32(1/127) exactly (bits 0x3c010204)
const MIN_RANGE = 7.888609052210118e-31; // 2^-100 (quantize.ts MIN_RANGE)

/** f32(127 / a) correctly rounded, for normal a >= 2^-100 (a = m * 2^(E - 150)). */
fn inverse127(a: f32) -> f32 {
  let bits = bitcast<u32>(a);
  let m = (bits & 0x7fffffu) | 0x800000u;
  var e = 109 - i32(bits >> 23u); // 127/a = (127/m) * 2^(150-E) ~ q * 2^(109-E)
  var rem = 127u;
  var q = 0u;
  // q = floor(127 * 2^41 / m) (24 or 25 bits) by long division, eight bits a step for 40 bits
  // (rem < m < 2^24, so rem << 8 fits), then the last bit: the same q and rem as bit by bit.
  for (var i = 0u; i < 5u; i++) {
    let r = rem << 8u;
    q = (q << 8u) | (r / m);
    rem = r % m;
  }
  rem = rem << 1u;
  q = q << 1u;
  if (rem >= m) { rem = rem - m; q = q | 1u; }
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

/** (scale, 1 / scale) of a row with largest |x| amax (0, 0 for a zero or non-finite range). */
fn rowScale(amax: f32) -> vec2<f32> {
  if (amax >= MIN_RANGE && amax <= 3.4028234663852886e38) { return vec2<f32>(amax * INV_QMAX, inverse127(amax)); }
  return vec2<f32>();
}

/** Code of x under inverse scale inv, as a byte. */
fn code(x: f32, inv: f32) -> u32 {
  return u32(i32(clamp(round(x * inv), -127.0, 127.0))) & 0xffu;
}

/** The code word of four values. */
fn pack4(v: vec4<f32>, inv: f32) -> u32 {
  return code(v.x, inv) | (code(v.y, inv) << 8u) | (code(v.z, inv) << 16u) | (code(v.w, inv) << 24u);
}

/** Which of four columns a read-mask word marks read (byte c nonzero: column c; the 'read' scale). */
fn readLanes(m: u32) -> vec4<bool> {
  return ((vec4<u32>(m) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) != vec4<u32>(0u);
}
