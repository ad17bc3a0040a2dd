// Workgroup-wide LayerNorm of one row of H values, each thread holding PER of them
// (element lid + j*WG). Needs consts H, WG (a power of two), PER = ceil(H / WG).
// Two passes (mean, then centred variance) for the same rounding as the CPU reference.

var<workgroup> red: array<f32, WG>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier(); // nobody overwrites red before everyone has read the total
  return total;
}

/** Normalised values (x - mean) / sqrt(var + eps); entries past H stay 0. */
fn normalize_row(v: array<f32, PER>, lid: u32, eps: f32) -> array<f32, PER> {
  var s = 0.0;
  for (var j = 0u; j < PER; j++) { if (lid + j * WG < H) { s += v[j]; } }
  let mean = wg_sum(s, lid) / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER; j++) { if (lid + j * WG < H) { let d = v[j] - mean; q += d * d; } }
  let inv = inverseSqrt(wg_sum(q, lid) / f32(H) + eps);
  var r: array<f32, PER>;
  for (var j = 0u; j < PER; j++) { if (lid + j * WG < H) { r[j] = (v[j] - mean) * inv; } }
  return r;
}

/** Row index of this workgroup in a 2-D dispatch (rows may exceed 65535). */
fn row_of(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}
