// Residual + LayerNorm of one token row by one subgroup (add-layernorm-subgroup.wgsl and, with
// add-layernorm-subgroup-cols.wgsl, rows-to-columns.wgsl are its entry points): each lane holds PER
// values of the row (element lane + j*SG) and the row's sums are subgroupAdd()s
// (subgroup-layernorm.wgsl), with no workgroup memory and no barrier (add-layernorm.wgsl's tree
// takes 2*log2(WG) + 4 of them). Prepended: consts H, WG, SG (the adapter's one subgroup size),
// PER = ceil(H / SG), PARTS and subgroup-common.wgsl; subgroup-layernorm.wgsl after it. `a` may be
// split-K partial sums (dense-linear.wgsl): PARTS blocks of tokens x H, added here.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;

/** LayerNorm(a + x) of row t, element lane + j*SG in [j] (for those < H); call from uniform control flow. */
fn norm_row(t: u32, lane: u32) -> array<f32, PER> {
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
  return subgroup_layer_norm(v, s, lane, p.eps);
}
