// Residual + LayerNorm of one token row by one subgroup (add-layernorm-subgroup.wgsl and
// add-layernorm-subgroup-cols.wgsl are its entry points): each lane holds PER values of the row
// (element lane + j*SG) and the row's sums are subgroupAdd()s, with no workgroup memory and no
// barrier (add-layernorm.wgsl's tree takes 2*log2(WG) + 4 of them). Two passes (mean, then
// centred variance) as the CPU reference. Prepended: consts H, WG, SG (the adapter's one subgroup
// size), PER = ceil(H / SG), PARTS and subgroup-common.wgsl. `a` may be split-K partial sums
// (dense-linear.wgsl): PARTS blocks of tokens x H, added here.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;

/** LayerNorm(a + x) of row t, element lane + j*SG in [j] (for those < H); call from uniform control flow. */
fn add_ln_row(t: u32, lane: u32) -> array<f32, PER> {
  var v: array<f32, PER>;
  var s = 0.0;
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * SG;
    if (i < H) {
      var u = a[t * H + i] + x[t * H + i];
      for (var r = 1u; r < PARTS; r++) { u += a[(r * p.tokens + t) * H + i]; }
      v[j] = u;
      s += u;
    }
  }
  let mean = subgroupAdd(s) / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER; j++) { if (lane + j * SG < H) { let d = v[j] - mean; q += d * d; } }
  let inv = inverseSqrt(subgroupAdd(q) / f32(H) + p.eps);
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * SG;
    if (i < H) { v[j] = (v[j] - mean) * inv * gamma_beta[i] + gamma_beta[H + i]; }
  }
  return v;
}
