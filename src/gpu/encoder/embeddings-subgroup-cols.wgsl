// Embeddings (word + position + token-type gathers, then LayerNorm) a subgroup a row, written as
// rows and as columns by rows-to-columns.wgsl, so the first Q/K/V on columns needs no transpose
// step. (embeddings.wgsl's own columns form, a workgroup a token, scatters 4-byte column stores:
// slower than the transpose at 4096 tokens.) Prepended: consts H, WG, SG, PER, R,
// subgroup-common.wgsl, embeddings-inputs.wgsl and subgroup-layernorm.wgsl.

@group(0) @binding(7) var<storage, read_write> x: array<f32>;
@group(0) @binding(8) var<storage, read_write> xt: array<vec4<f32>>;

/** LayerNorm(word + position + type) of token t, element lane + j*SG in [j] (for those < H). */
fn norm_row(t: u32, lane: u32) -> array<f32, PER> {
  let w0 = ids[t] * H;
  let p0 = (t % p.seq) * H;
  let y0 = types[t] * H;
  var v: array<f32, PER>;
  var s = 0.0;
  for (var j = 0u; j < PER; j++) {
    let i = lane + j * SG;
    if (i < H) {
      v[j] = word[w0 + i] + pos[p0 + i] + tok_type[y0 + i];
      s += v[j];
    }
  }
  return subgroup_layer_norm(v, s, lane, p.eps);
}
