// Residual + LayerNorm in place: x = LayerNorm(a + x), one workgroup per token row. `a` may
// be split-K partial sums (dense-linear.wgsl): PARTS blocks of tokens x H, added here.
// Prepended: consts H, WG, PER, PARTS and row-norm.wgsl.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;

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
  for (var s = 1u; s < PARTS; s++) {
    for (var j = 0u; j < PER; j++) {
      let i = lid + j * WG;
      if (i < H) { v[j] += a[(s * p.tokens + t) * H + i]; }
    }
  }
  let n = normalize_row(v, lid, p.eps);
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { x[t * H + i] = n[j] * gamma_beta[i] + gamma_beta[H + i]; }
  }
}
