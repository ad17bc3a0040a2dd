// Residual + LayerNorm in place, x = LayerNorm(a + x), one subgroup a token row
// (add-layernorm-subgroup-row.wgsl, prepended); WG / SG rows a workgroup; subgroups number
// themselves (subgroup-common.wgsl).

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let slot = claimSubgroupSlot(li);
  let row = (wid.y * nwg.x + wid.x) * (WG / SG) + slot;
  // Rows past the end normalise a copy of the last row and store nothing (whatever they read of
  // it, its owner's result stands).
  let t = min(row, p.tokens - 1u);
  let v = norm_row(t, lane);
  if (row < p.tokens) {
    for (var j = 0u; j < PER; j++) {
      let i = lane + j * SG;
      if (i < H) { x[t * H + i] = v[j]; }
    }
  }
}
