// Residual + LayerNorm for training: y = LN(a + x)·gamma + beta, keeping what the backward
// needs: xhat = (z - mean)·inv per element and inv = 1/sqrt(var + eps) per row. One workgroup
// per token row. Prepended: consts H, WG, PER, row-norm.wgsl (wg_sum, row_of) and params.wgsl.
// Uniform: u0 = tokens, f0 = eps.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> xhat: array<f32>;
@group(0) @binding(6) var<storage, read_write> inv_std: array<f32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let t = row_of(wid, nwg);
  if (t >= p.u0) { return; } // uniform per workgroup
  var z: array<f32, PER>;
  var s = 0.0;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { z[j] = a[t * H + i] + x[t * H + i]; s += z[j]; }
  }
  let mean = wg_sum(s, lid) / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER; j++) { if (lid + j * WG < H) { let d = z[j] - mean; q += d * d; } }
  let inv = inverseSqrt(wg_sum(q, lid) / f32(H) + p.f0);
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      let n = (z[j] - mean) * inv;
      xhat[t * H + i] = n;
      y[t * H + i] = n * gamma_beta[i] + gamma_beta[H + i];
    }
  }
  if (lid == 0u) { inv_std[t] = inv; }
}
