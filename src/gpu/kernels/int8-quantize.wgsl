// Activation codes for the int8 linears, bit for bit core/quant/quantize.ts: one workgroup per
// token row takes the row's largest |x| (dynamic, per token) or the calibrated range (static),
// derives scale = f32(a * f32(1/127)) and inverse = f32(127 / a) correctly rounded (integer long
// division: WGSL's f32 division may be 2.5 ulp off), then code = clamp(round(x * inverse), ±127)
// (round() is half-even in WGSL, as roundHalfEven), packed four to a u32 word.

struct Params { tokens: u32, width: u32, words: u32, rowsPerY: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> range: array<f32>; // static: [amax]; dynamic: unused
@group(0) @binding(3) var<storage, read_write> scales: array<f32>;
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;

const THREADS = 64u;
const INV_QMAX = 0.0078740157; // f32(1/127) exactly (bits 0x3c010204)
const MIN_RANGE = 7.888609052210118e-31; // 2^-100 (quantize.ts MIN_RANGE)

var<workgroup> partial: array<f32, 64>;

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

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.y * params.rowsPerY + wid.x;
  let width = params.width;
  let inRange = row < params.tokens;
  let base = row * width;
//#if STATIC
  let amax = range[0];
//#else
  var local = 0.0;
  if (inRange) {
    for (var i = lid.x; i < width; i += THREADS) { local = max(local, abs(x[base + i])); }
  }
  partial[lid.x] = local;
  workgroupBarrier();
  for (var s = THREADS / 2u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { partial[lid.x] = max(partial[lid.x], partial[lid.x + s]); }
    workgroupBarrier();
  }
  let amax = partial[0];
//#endif
  if (!inRange) { return; }
  var scale = 0.0;
  var inv = 0.0;
  if (amax >= MIN_RANGE && amax <= 3.4028234663852886e38) {
    scale = amax * INV_QMAX;
    inv = inverse127(amax);
  }
  if (lid.x == 0u) { scales[row] = scale; }
  for (var w = lid.x; w < params.words; w += THREADS) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let i = w * 4u + j;
      if (i < width) {
        let q = clamp(round(x[base + i] * inv), -127.0, 127.0);
        word = word | ((u32(i32(q)) & 0xffu) << (8u * j));
      }
    }
    codes[row * params.words + w] = word;
  }
}
