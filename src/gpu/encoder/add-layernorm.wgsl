// Residual + LayerNorm in place: x = LayerNorm(a + x), RPG token rows a workgroup.
// Prepended: consts H, WG, RPG, PER and rows-norm.wgsl.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;

@compute @workgroup_size(WG * RPG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let g = first_row(wid, nwg);
  if (g >= p.tokens) { return; } // uniform per workgroup
  let row = g + lid / WG;
  let lane = lid % WG;
  // Rows past the end normalise a copy of the last row (every thread takes part in the
  // barriers) and store nothing; they read x before the barriers its owner writes after.
  let t = min(row, p.tokens - 1u);
  var v: array<f32, PER>;
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * WG;
    if (i < H) { v[j] = a[t * H + i] + x[t * H + i]; }
  }
  let n = normalize_rows(v, lid, p.eps);
  if (row < p.tokens) {
    for (var j = 0u; j < PER; j++) {
      let i = lane + j * WG;
      if (i < H) { x[t * H + i] = n[j] * gamma_beta[i] + gamma_beta[H + i]; }
    }
  }
}
