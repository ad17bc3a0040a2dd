// Residual + LayerNorm in place, x = LayerNorm(a + x), one subgroup a token row, that also writes
// x's int8 codes and per-token scale for the next int8 linear: the codes and scales
// int8-quantize.wgsl would write from the stored x (the same values, the same int8-scale.wgsl
// functions, appended), so the int8 encoder needs no quantize pass before Q/K/V and FFN-in.
// Each lane holds vec4s of the row (vec4 lane + j*SG), which pack to code words without
// crossing lanes. Prepended: consts H (a multiple of 4), W4 = H / 4, WG, SG (the adapter's one
// subgroup size), PER4 = ceil(W4 / SG), WORDS (code words of a row: int8RowWords(H)), PARTS,
// and subgroup-common.wgsl.
// Rows (COLUMNS off): WG / SG rows a workgroup, codes tokens x WORDS words.
// COLUMNS: R = 16 rows a workgroup (one 16-token chunk), codes as columns (column c of the
// 4 * WORDS: p.tw words, four tokens a word, int8-transpose.wgsl's layout), each column's chunk
// stored as one vec4; codes of tokens past p.tokens are zero (as the columns quantizer's).
// READ: the scale over the next linear's read columns alone, the others' codes 0 (the 'read' scale).

struct Params { tokens: u32, tw: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> x: array<vec4<f32>>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<vec4<f32>>;
//#if COLUMNS
@group(0) @binding(4) var<storage, read_write> codes: array<vec4<u32>>;
//#else
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;
//#endif
@group(0) @binding(5) var<storage, read_write> scales: array<f32>;
//#if READ
/** The 'read' scale: the next linear's read columns (int8-scale.wgsl readLanes words). */
@group(0) @binding(6) var<storage, read> readMask: array<u32>;
//#endif

/** LayerNorm(a + x) of row t, vec4 lane + j*SG in [j] (zeros past the row); uniform control flow. */
fn add_ln_row4(t: u32, lane: u32) -> array<vec4<f32>, PER4> {
  var v: array<vec4<f32>, PER4>;
  var s = 0.0;
  for (var j = 0u; j < PER4; j++) {
    let i = lane + j * SG;
    if (i < W4) {
      var u = a[t * W4 + i] + x[t * W4 + i];
      for (var r = 1u; r < PARTS; r++) { u += a[(r * p.tokens + t) * W4 + i]; }
      v[j] = u;
      s += (u.x + u.y) + (u.z + u.w);
    }
  }
  let mean = subgroupAdd(s) / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER4; j++) {
    if (lane + j * SG < W4) {
      let d = v[j] - vec4<f32>(mean);
      q += (d.x * d.x + d.y * d.y) + (d.z * d.z + d.w * d.w);
    }
  }
  let inv = inverseSqrt(subgroupAdd(q) / f32(H) + p.eps);
  for (var j = 0u; j < PER4; j++) {
    let i = lane + j * SG;
    if (i < W4) { v[j] = (v[j] - vec4<f32>(mean)) * inv * gamma_beta[i] + gamma_beta[W4 + i]; }
  }
  return v;
}

/** The values the codes are taken from: v, or (READ) v with the columns not read as 0. */
fn read_values(v: array<vec4<f32>, PER4>, lane: u32) -> array<vec4<f32>, PER4> {
//#if READ
  var r: array<vec4<f32>, PER4>;
  for (var j = 0u; j < PER4; j++) {
    let i = lane + j * SG;
    if (i < W4) { r[j] = select(vec4<f32>(), v[j], readLanes(readMask[i])); }
  }
  return r;
//#else
  return v;
//#endif
}

/** The row's (scale, inverse scale) from its largest |value| over the subgroup. */
fn row_scale4(v: array<vec4<f32>, PER4>) -> vec2<f32> {
  var m = 0.0;
  for (var j = 0u; j < PER4; j++) {
    let b = abs(v[j]);
    m = max(m, max(max(b.x, b.y), max(b.z, b.w)));
  }
  return rowScale(subgroupMax(m));
}

//#if COLUMNS
var<workgroup> rowCodes: array<u32, 16u * WORDS>;

/** Byte `sh / 8` of word w of the chunk's tokens 4g .. 4g + 3, as one word (token 4g lowest). */
fn column_word(g: u32, w: u32, sh: u32) -> u32 {
  var word = 0u;
  for (var t = 0u; t < 4u; t++) { word |= ((rowCodes[(4u * g + t) * WORDS + w] >> sh) & 0xffu) << (8u * t); }
  return word;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let chunk = wid.y * nwg.x + wid.x; // tokens 16 * chunk ..
  if (chunk * 16u >= p.tokens) { return; } // a 2-D grid's spare workgroups
  let slot = claimSubgroupSlot(li);
  for (var k = slot; k < 16u; k += WG / SG) {
    let row = chunk * 16u + k;
    let live = row < p.tokens;
    // Rows past the end normalise the last row (whatever they read of it) and store zero codes.
    let t = min(row, p.tokens - 1u);
    let v = add_ln_row4(t, lane);
    let c = read_values(v, lane);
    let si = row_scale4(c);
    if (live && lane == 0u) { scales[t] = si.x; }
    for (var j = 0u; j < PER4; j++) {
      let i = lane + j * SG;
      if (i < W4) {
        if (live) { x[t * W4 + i] = v[j]; }
        rowCodes[k * WORDS + i] = select(0u, pack4(c[j], si.y), live);
      }
    }
  }
  workgroupBarrier();
  for (var c = li; c < 4u * WORDS; c += WG) {
    var o = vec4<u32>();
    if (c < H) {
      let w = c / 4u;
      let sh = 8u * (c % 4u);
      o = vec4<u32>(column_word(0u, w, sh), column_word(1u, w, sh), column_word(2u, w, sh), column_word(3u, w, sh));
    }
    codes[c * (p.tw / 4u) + chunk] = o;
  }
}
//#else
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let slot = claimSubgroupSlot(li);
  let row = (wid.y * nwg.x + wid.x) * (WG / SG) + slot;
  // Rows past the end normalise a copy of the last row and store nothing.
  let t = min(row, p.tokens - 1u);
  let v = add_ln_row4(t, lane);
  let c = read_values(v, lane);
  let si = row_scale4(c);
  if (row < p.tokens) {
    if (lane == 0u) { scales[t] = si.x; }
    for (var j = 0u; j < PER4; j++) {
      let i = lane + j * SG;
      if (i < W4) {
        x[t * W4 + i] = v[j];
        codes[t * WORDS + i] = pack4(c[j], si.y);
      }
    }
    for (var w = W4 + lane; w < WORDS; w += SG) { codes[t * WORDS + w] = 0u; } // past the width
  }
}
//#endif
