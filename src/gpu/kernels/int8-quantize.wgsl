// Activation codes for the int8 linears, bit for bit core/quant/quantize.ts: one workgroup per
// token row takes the row's largest |x| (dynamic, per token) or the calibrated range (static),
// then its scale, inverse scale and codes (int8-scale.wgsl, appended), packed four to a u32 word.
// COLUMNS: the same codes written as columns (int8-transpose.wgsl's layout, what the HP kernels'
// 'x' variants read, so that they need no transpose pass): four tokens a workgroup, 64
// invocations a token for its largest |x| (as above), then each invocation codes columns of the
// four tokens, one word a column. (16 tokens a workgroup, one vec4 a column, 16 invocations a
// token, made the encoder's FFN-in 0.006 ms slower over 4 layers on the H200.)
// SUBGROUP (session 7; where the width is a multiple of 4 and the device has subgroups of at most
// 64 invocations): the same workgroups, but x read once, as vec4s kept in registers (PER an
// invocation), each token's largest |x| by subgroupMax and one barrier over its subgroups' maxima
// (instead of a six-step tree of barriers), one code word a vec4; as columns, the four tokens'
// code words meet in workgroup memory and are transposed from there.
//#if SUBGROUP
enable subgroups;
//#endif

struct Params { tokens: u32, width: u32, words: u32, rowsPerY: u32, tw: u32 }
@group(0) @binding(0) var<uniform> params: Params;
//#if SUBGROUP
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
//#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
//#endif
//#if READ
@group(0) @binding(5) var<storage, read> readMask: array<u32>; // the 'read' scale: readLanes words
//#endif
@group(0) @binding(2) var<storage, read> range: array<f32>; // static: [amax]; dynamic: unused
@group(0) @binding(3) var<storage, read_write> scales: array<f32>;
//#if COLUMNS
@group(0) @binding(4) var<storage, read_write> codes: array<u32>; // column c: tw words
//#else
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;
//#endif

const THREADS = 64u;
var<workgroup> partial: array<f32, 64>;

//#if SUBGROUP
const PER = {{PER}}u; // vec4s of a row per invocation: ceil(width / 4 / 64)
const W4 = {{W4}}u; // vec4s of a row: width / 4
var<workgroup> sgMax: array<f32, 256>;

/** The largest of `v` over invocation tid's team of 64 (tid / 64): subgroupMax, then over the
 *  team's subgroups (at most 64 invocations each: one team holds whole subgroups). */
fn teamMax(v: f32, tid: u32, sgSize: u32) -> f32 {
  let m = subgroupMax(v);
  if (tid % sgSize == 0u) { sgMax[tid / sgSize] = m; }
  workgroupBarrier();
  let per = 64u / sgSize;
  var amax = 0.0;
  for (var i = 0u; i < per; i++) { amax = max(amax, sgMax[(tid / 64u) * per + i]); }
  return amax;
}

fn absMax4(v: vec4<f32>) -> f32 {
  let a = abs(v);
  return max(max(a.x, a.y), max(a.z, a.w));
}

/** Invocation `lane`'s vec4s of x's row (lane, lane + 64, ...; zeros past the row or if not live). */
fn rowValues(row: u32, lane: u32, live: bool) -> array<vec4<f32>, PER> {
  var v: array<vec4<f32>, PER>;
//#unroll J {{PER}}
  if (live && lane + {{J}}u * 64u < W4) {
    v[{{J}}] = x4[row * W4 + lane + {{J}}u * 64u];
//#if READ
    // The 'read' scale: unread columns count as 0 (their range left out, their codes 0).
    v[{{J}}] = select(vec4<f32>(), v[{{J}}], readLanes(readMask[lane + {{J}}u * 64u]));
//#endif
  }
//#end
  return v;
}

/** The row's largest |x| (static: the calibrated range), tid's team of 64 holding the row. */
fn rowAmax(v: array<vec4<f32>, PER>, tid: u32, sgSize: u32) -> f32 {
//#if STATIC
  return range[0];
//#else
  var local = 0.0;
//#unroll J {{PER}}
  local = max(local, absMax4(v[{{J}}]));
//#end
  return teamMax(local, tid, sgSize);
//#endif
}
//#endif

//#if SUBGROUP
//#if COLUMNS
var<workgroup> rowCodes: array<u32, 4u * W4>;

@compute @workgroup_size(256, 1, 1)
fn main(
  @builtin(local_invocation_index) tid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(subgroup_size) sgSize: u32,
) {
  let g = wid.y * params.rowsPerY + wid.x; // tokens 4g .. 4g + 3
  if (g >= params.tw) { return; } // a 2-D grid's spare workgroups (groups past the tokens write zeros)
  let r = tid / 64u;
  let lane = tid % 64u;
  let row = 4u * g + r;
  let live = row < params.tokens;
  let v = rowValues(row, lane, live);
  let amax = rowAmax(v, tid, sgSize);
  let si = rowScale(amax);
  if (lane == 0u && live) { scales[row] = si.x; }
//#unroll J {{PER}}
  if (lane + {{J}}u * 64u < W4) { rowCodes[r * W4 + lane + {{J}}u * 64u] = select(0u, pack4(v[{{J}}], si.y), live); }
//#end
  workgroupBarrier();
  for (var c = tid; c < params.words * 4u; c += 256u) {
    var word = 0u;
    if (c < 4u * W4) {
      let w = c / 4u;
      let sh = 8u * (c % 4u);
      for (var t = 0u; t < 4u; t++) { word = word | (((rowCodes[t * W4 + w] >> sh) & 0xffu) << (8u * t)); }
    }
    codes[c * params.tw + g] = word;
  }
}
//#else
@compute @workgroup_size(64, 1, 1)
fn main(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(subgroup_size) sgSize: u32,
) {
  let row = wid.y * params.rowsPerY + wid.x;
  let lane = lid.x;
  let live = row < params.tokens;
  let v = rowValues(row, lane, live);
  let amax = rowAmax(v, lane, sgSize);
  if (!live) { return; }
  let si = rowScale(amax);
  if (lane == 0u) { scales[row] = si.x; }
  let base = row * params.words;
//#unroll J {{PER}}
  if (lane + {{J}}u * 64u < W4) { codes[base + lane + {{J}}u * 64u] = pack4(v[{{J}}], si.y); }
//#end
  for (var w = W4 + lane; w < params.words; w += 64u) { codes[base + w] = 0u; } // past the width
}
//#endif
//#else
/** x[i] of row-major x, 0 for a column the 'read' scale leaves out (READ). */
fn xAt(base: u32, i: u32) -> f32 {
//#if READ
  if (((readMask[i / 4u] >> (8u * (i % 4u))) & 0xffu) == 0u) { return 0.0; }
//#endif
  return x[base + i];
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
    for (var i = tid % 64u; i < width; i += 64u) { local = max(local, abs(xAt(row * width, i))); }
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
        if (t0 + t < params.tokens) { word = word | (code(xAt((t0 + t) * width, c), rowInv[t]) << (8u * t)); }
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
    for (var i = lid.x; i < width; i += THREADS) { local = max(local, abs(xAt(base, i))); }
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
      if (i < width) { word = word | (code(xAt(base, i), inv) << (8u * j)); }
    }
    codes[row * params.words + w] = word;
  }
}
//#endif
//#endif
