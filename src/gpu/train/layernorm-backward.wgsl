// LayerNorm's input gradient per row: with g = dy·gamma,
// dz = inv · (g - mean(g) - xhat · mean(g·xhat)). (gamma and beta gradients: column-sums.wgsl.)
// Prepended: consts H, WG, PER, row-norm.wgsl and params.wgsl. Uniform: u0 = tokens.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> xhat: array<f32>;
@group(0) @binding(3) var<storage, read> inv_std: array<f32>;
@group(0) @binding(4) var<storage, read> gamma_beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dz: array<f32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let t = row_of(wid, nwg);
  if (t >= p.u0) { return; } // uniform per workgroup
  var g: array<f32, PER>;
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      g[j] = dy[t * H + i] * gamma_beta[i];
      sg += g[j];
      sgx += g[j] * xhat[t * H + i];
    }
  }
  let mg = wg_sum(sg, lid) / f32(H);
  let mgx = wg_sum(sgx, lid) / f32(H);
  let inv = inv_std[t];
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { dz[t * H + i] = inv * (g[j] - mg - xhat[t * H + i] * mgx); }
  }
}
