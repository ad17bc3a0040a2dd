// Activation codes for the int8 linears, bit for bit core/quant/quantize.ts: one workgroup per
// token row takes the row's largest |x| (dynamic, per token) or the calibrated range (static),
// derives scale = f32(a * f32(1/127)) and inverse = f32(127 / a) correctly rounded (integer long
// division: WGSL's f32 division may be 2.5 ulp off), then code = clamp(round(x * inverse), ±127)
// (round() is half-even in WGSL, as roundHalfEven), packed four to a u32 word.
// COLUMNS: the same codes written as columns (int8-transpose.wgsl's layout, what the HP kernels'
// 'x' variants read, so that they need no transpose pass): four tokens a workgroup, 64
// invocations a token for its largest |x| (as above), then each invocation codes columns of the
// four tokens, one word a column. (16 tokens a workgroup, one vec4 a column, 16 invocations a
// token, made the encoder's FFN-in 0.006 ms slower over 4 layers on the H200.)

struct Params { tokens: u32, width: u32, words: u32, rowsPerY: u32, tw: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> range: array<f32>; // static: [amax]; dynamic: unused
@group(0) @binding(3) var<storage, read_write> scales: array<f32>;
//#if COLUMNS
@group(0) @binding(4) var<storage, read_write> codes: array<u32>; // column c: tw words
//#else
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;
//#endif

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

/** (scale, 1 / scale) of a row with largest |x| amax (0, 0 for a zero or non-finite range). */
fn rowScale(amax: f32) -> vec2<f32> {
  if (amax >= MIN_RANGE && amax <= 3.4028234663852886e38) { return vec2<f32>(amax * INV_QMAX, inverse127(amax)); }
  return vec2<f32>();
}

/** Code of x under inverse scale inv, as a byte. */
fn code(x: f32, inv: f32) -> u32 {
  return u32(i32(clamp(round(x * inv), -127.0, 127.0))) & 0xffu;
}

//#if COLUMNS
var<workgroup> part: array<f32, 256>;
var<workgroup> rowInv: array<f32, 4>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = wid.y * params.rowsPerY + wid.x; // tokens 4g .. 4g + 3
  let t0 = 4u * g;
  if (g >= params.tw) { return; } // a 2-D grid's spare workgroups (groups past the tokens write zeros)
  let width = params.width;
  let r = tid / 64u;
  let row = t0 + r;
//#if STATIC
  let amax = range[0];
//#else
  var local = 0.0;
  if (row < params.tokens) {
    for (var i = tid % 64u; i < width; i += 64u) { local = max(local, abs(x[row * width + i])); }
  }
  part[tid] = local;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (tid % 64u < s) { part[tid] = max(part[tid], part[tid + s]); }
    workgroupBarrier();
  }
  let amax = part[r * 64u];
//#endif
  if (tid % 64u == 0u) {
    let si = rowScale(amax);
    rowInv[r] = si.y;
    if (row < params.tokens) { scales[row] = si.x; }
  }
  workgroupBarrier();
  for (var c = tid; c < params.words * 4u; c += 256u) {
    var word = 0u;
    if (c < width) {
      for (var t = 0u; t < 4u; t++) {
        if (t0 + t < params.tokens) { word = word | (code(x[(t0 + t) * width + c], rowInv[t]) << (8u * t)); }
      }
    }
    codes[c * params.tw + g] = word;
  }
}
//#else
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
  let si = rowScale(amax);
  let inv = si.y;
  if (lid.x == 0u) { scales[row] = si.x; }
  for (var w = lid.x; w < params.words; w += THREADS) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let i = w * 4u + j;
      if (i < width) { word = word | (code(x[base + i], inv) << (8u * j)); }
    }
    codes[row * params.words + w] = word;
  }
}
//#endif
