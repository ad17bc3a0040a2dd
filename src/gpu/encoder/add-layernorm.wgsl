// Residual + LayerNorm in place: x = LayerNorm(a + x), one workgroup per token row. QUANT (the
// int8 engine): the row's int8 codes and scale for the next linear too (int8-codes.wgsl, the
// same numbers as int8-quantize.wgsl on the stored x), so that linear needs no quantize pass.
// Prepended: consts H, WG, PER, WORDS (QUANT: packed words of a row) and row-norm.wgsl.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;
//#if QUANT
@group(0) @binding(4) var<storage, read_write> xcodes: array<u32>;
@group(0) @binding(5) var<storage, read_write> xscales: array<f32>;
var<workgroup> xrow: array<f32, H>;
//#endif

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let t = row_of(wid, nwg);
  if (t >= p.tokens) { return; } // uniform per workgroup
  var v: array<f32, PER>;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { v[j] = a[t * H + i] + x[t * H + i]; }
  }
  let n = normalize_row(v, lid, p.eps);
  var amax = 0.0;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      let y = n[j] * gamma_beta[i] + gamma_beta[H + i];
      x[t * H + i] = y;
//#if QUANT
      xrow[i] = y;
      amax = max(amax, abs(y));
//#endif
    }
  }
//#if QUANT
  let q = int8Range(wg_max(amax, lid)); // (scale, inverse); wg_max's barriers publish xrow
  if (lid == 0u) { xscales[t] = q.x; }
  for (var w = lid; w < WORDS; w += WG) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      if (w * 4u + j < H) { word = word | (int8Code(xrow[w * 4u + j], q.y) << (8u * j)); }
    }
    xcodes[t * WORDS + w] = word;
  }
//#endif
}
