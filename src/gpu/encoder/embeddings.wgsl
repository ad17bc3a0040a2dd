// Embeddings: word + position + token-type gathers, then LayerNorm; one workgroup per token.
// With XT also x as columns (H x P, P = tokens rounded up to 4, the layout f32-transpose.wgsl
// writes, spare tokens of the last quad 0) for HP linears on columns: no transpose step.
// Prepended: consts H, WG, PER, XT, row-norm.wgsl and embeddings-inputs.wgsl.

@group(0) @binding(7) var<storage, read_write> out: array<f32>;
//#if XT
@group(0) @binding(8) var<storage, read_write> xt: array<f32>;
//#endif

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let t = row_of(wid, nwg);
  if (t >= p.tokens) { return; } // uniform per workgroup
  let w0 = ids[t] * H;
  let p0 = (t % p.seq) * H;
  let y0 = types[t] * H;
  var v: array<f32, PER>;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { v[j] = word[w0 + i] + pos[p0 + i] + tok_type[y0 + i]; }
  }
  let n = normalize_row(v, lid, p.eps);
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      let y = n[j] * gamma_beta[i] + gamma_beta[H + i];
      out[t * H + i] = y;
//#if XT
      let P4 = (p.tokens + 3u) / 4u;
      xt[(i * P4 + t / 4u) * 4u + t % 4u] = y;
      // The last token also zeroes the spare tokens of its quad.
      if (t + 1u == p.tokens) {
        for (var u = t + 1u; u < 4u * P4; u++) { xt[(i * P4 + u / 4u) * 4u + u % 4u] = 0.0; }
      }
//#endif
    }
  }
}
