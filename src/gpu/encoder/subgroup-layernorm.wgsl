// The LayerNorm of a row a subgroup holds (element lane + j*SG in v[j], those < H; s: the lane's
// sum of its values), shared by add-layernorm-subgroup-row.wgsl and embeddings-subgroup-cols.wgsl:
// the row's sums are subgroupAdd()s, two passes (mean, then centred variance) as the CPU reference.
// The includer declares gamma_beta (gamma H, then beta H); consts H, SG, PER = ceil(H / SG).

fn subgroup_layer_norm(row: array<f32, PER>, s: f32, lane: u32, eps: f32) -> array<f32, PER> {
  var v = row;
  let mean = subgroupAdd(s) / f32(H);
  var q = 0.0;
  for (var j = 0u; j < PER; j++) { if (lane + j * SG < H) { let d = v[j] - mean; q += d * d; } }
  let inv = inverseSqrt(subgroupAdd(q) / f32(H) + eps);
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * SG;
    if (i < H) { v[j] = (v[j] - mean) * inv * gamma_beta[i] + gamma_beta[H + i]; }
  }
  return v;
}
