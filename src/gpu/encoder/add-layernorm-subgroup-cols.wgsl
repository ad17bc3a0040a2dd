// Residual + LayerNorm in place, x = LayerNorm(a + x), that also writes the result as columns
// for the HP linears on X as columns (hp-columns.wgsl): xt is H x P (P = tokens rounded up to 4).
// WG = 4 * SG: a workgroup's four subgroups normalise four consecutive rows
// (add-layernorm-subgroup-row.wgsl, prepended), stage them in workgroup memory, and write each
// column's four tokens as one vec4.

@group(0) @binding(4) var<storage, read_write> xt: array<vec4<f32>>;

var<workgroup> rows: array<f32, 4 * H>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let slot = claimSubgroupSlot(li);
  let quad = wid.y * nwg.x + wid.x;
  let row = quad * 4u + slot;
  // Rows past the end normalise the last row as they read it (before or after its owner's store):
  // finite values in the last quad's spare tokens, which only feed spare tokens downstream.
  let t = min(row, p.tokens - 1u);
  let v = add_ln_row(t, lane);
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * SG;
    if (i < H) {
      if (row < p.tokens) { x[t * H + i] = v[j]; }
      rows[slot * H + i] = v[j];
    }
  }
  workgroupBarrier();
  let p4 = (p.tokens + 3u) / 4u;
  for (var i = li; i < H; i += WG) {
    xt[i * p4 + quad] = vec4<f32>(rows[i], rows[H + i], rows[2u * H + i], rows[3u * H + i]);
  }
}
