// The [CLS] rows (token 0 of each sequence) between the encoder and the head: gather them
// (forward), or scatter their gradient back into a [tokens, hidden] gradient that is zero
// elsewhere (backward). Uniform: u0 = batch, u1 = seq, u2 = hidden, u3 = mode (0 gather, 1 scatter).
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let seq = p.u1;
  let hidden = p.u2;
  let i = flat_index(gid, nwg, 64u);
  if (p.u3 == 0u) {
    if (i >= p.u0 * hidden) { return; }
    dst[i] = src[(i / hidden) * seq * hidden + i % hidden];
  } else {
    if (i >= p.u0 * seq * hidden) { return; }
    let t = i / hidden;
    var g = 0.0;
    if (t % seq == 0u) { g = src[(t / seq) * hidden + i % hidden]; }
    dst[i] = g;
  }
}
