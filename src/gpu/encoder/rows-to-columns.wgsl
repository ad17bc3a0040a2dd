// A workgroup's R consecutive token rows, each normalised by one subgroup (its WG / SG subgroups
// take R / (WG / SG) rows each, one at a time), written as rows to x and, staged in workgroup
// memory, as columns to xt (H x P, P = tokens rounded up to 4: what the HP linears on columns read,
// hp-columns.wgsl), each column's R tokens as R / 4 consecutive vec4 (a 16 * R / 4-byte run).
// Prepended: a row source declaring p (p.tokens), x, xt (array<vec4<f32>>) and
// fn norm_row(t, lane) -> array<f32, PER> (add-layernorm-subgroup-row.wgsl with
// add-layernorm-subgroup-cols.wgsl, or embeddings-subgroup-cols.wgsl); consts H, WG, SG, PER, R
// and subgroup-common.wgsl.

var<workgroup> rows: array<f32, R * H>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let slot = claimSubgroupSlot(li);
  let row0 = (wid.y * nwg.x + wid.x) * R;
  for (var k = slot; k < R; k += WG / SG) {
    let row = row0 + k;
    // Rows past the end normalise the last row as they read it (before or after its owner's
    // store): finite values in the spare tokens of the last quads, which only feed spare tokens.
    let t = min(row, p.tokens - 1u);
    let v = norm_row(t, lane);
    for (var j = 0u; j < PER; j++) {
      let i = lane + j * SG;
      if (i < H) {
        if (row < p.tokens) { x[t * H + i] = v[j]; }
        rows[k * H + i] = v[j];
      }
    }
  }
  workgroupBarrier();
  let p4 = (p.tokens + 3u) / 4u;
  for (var e = li; e < H * (R / 4u); e += WG) {
    let i = e / (R / 4u);
    let g = e % (R / 4u);
    let q = row0 / 4u + g;
    let r = 4u * g * H + i;
    if (q < p4) { xt[i * p4 + q] = vec4<f32>(rows[r], rows[r + H], rows[r + 2u * H], rows[r + 3u * H]); }
  }
}
