// LayerNorm for the encoder's row kernels (embeddings, residual + LayerNorm): RPG rows a
// workgroup, WG threads a row, each thread holding PER values of its row (element lane + j*WG).
// A row sum is one write of each thread's partial, one barrier, and each thread adding its row's
// WG partials (reads every thread of the row shares): two barriers a LayerNorm instead of the
// 2*log2(WG) + 4 of a tree (row-norm.wgsl), and RPG rows share them. Two passes (mean, then
// centred variance) for the same rounding as the CPU reference. Needs consts H, WG, RPG, PER.

var<workgroup> part_mean: array<f32, WG * RPG>;
var<workgroup> part_var: array<f32, WG * RPG>;

/** Normalised values (x - mean) / sqrt(var + eps) of the calling thread's row; entries past H
 *  stay 0. Every thread of the workgroup calls it (barriers). */
fn normalize_rows(v: array<f32, PER>, lid: u32, eps: f32) -> array<f32, PER> {
  let lane = lid % WG;
  let base = lid - lane;
  var s = 0.0;
  for (var j = 0u; j < PER; j++) { if (lane + j * WG < H) { s += v[j]; } }
  part_mean[lid] = s;
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += part_mean[base + i]; }
  let mean = total / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER; j++) { if (lane + j * WG < H) { let d = v[j] - mean; q += d * d; } }
  part_var[lid] = q;
  workgroupBarrier();
  var tq = 0.0;
  for (var i = 0u; i < WG; i++) { tq += part_var[base + i]; }
  let inv = inverseSqrt(tq / f32(H) + eps);
  var r: array<f32, PER>;
  for (var j = 0u; j < PER; j++) { if (lane + j * WG < H) { r[j] = (v[j] - mean) * inv; } }
  return r;
}

/** First row of this workgroup in a 2-D dispatch (row groups may exceed 65535). */
fn first_row(wid: vec3u, nwg: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * RPG;
}
