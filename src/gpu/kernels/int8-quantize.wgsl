// Activation codes for the int8 linears, bit for bit core/quant/quantize.ts: one workgroup per
// token row takes the row's largest |x| (dynamic, per token) or the calibrated range (static),
// then scale, inverse and codes as int8-codes.wgsl (appended), packed four to a u32 word.

struct Params { tokens: u32, width: u32, words: u32, rowsPerY: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> range: array<f32>; // static: [amax]; dynamic: unused
@group(0) @binding(3) var<storage, read_write> scales: array<f32>;
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;

const THREADS = 64u;

var<workgroup> partial: array<f32, 64>;

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
  let q = int8Range(amax); // (scale, inverse)
  if (lid.x == 0u) { scales[row] = q.x; }
  for (var w = lid.x; w < params.words; w += THREADS) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let i = w * 4u + j;
      if (i < width) { word = word | (int8Code(x[base + i], q.y) << (8u * j)); }
    }
    codes[row * params.words + w] = word;
  }
}
