// Masked multi-head attention for training: ctx = P·V with P = softmax(Q·Kᵀ·scale + mask),
// keeping P [batch, heads, seq, seq] (0 at padding keys) for the backward. One invocation per
// (query, head, sequence). Q, K, V, ctx are [tokens, hidden], head h in columns h*d .. h*d+d-1.
// Uniform: u0 = seq, u1 = heads, u2 = d (head size), f0 = scale.
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> probs: array<f32>;
@group(0) @binding(6) var<storage, read_write> ctx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let seq = p.u0;
  let heads = p.u1;
  let d = p.u2;
  let i = gid.x;
  if (i >= seq) { return; }
  let h = wid.y;
  let b = wid.z;
  let hidden = heads * d;
  let row = ((b * heads + h) * seq + i) * seq;
  let qo = (b * seq + i) * hidden + h * d;
  var mx = -3.0e38;
  for (var j = 0u; j < seq; j++) {
    if (mask[b * seq + j] == 0u) { continue; }
    let ko = (b * seq + j) * hidden + h * d;
    var s = 0.0;
    for (var e = 0u; e < d; e++) { s += q[qo + e] * k[ko + e]; }
    s *= p.f0;
    probs[row + j] = s;
    mx = max(mx, s);
  }
  var sum = 0.0;
  for (var j = 0u; j < seq; j++) {
    var w = 0.0;
    if (mask[b * seq + j] != 0u) { w = exp(probs[row + j] - mx); }
    probs[row + j] = w;
    sum += w;
  }
  let inv = 1.0 / sum;
  for (var j = 0u; j < seq; j++) { probs[row + j] *= inv; }
  for (var e = 0u; e < d; e++) {
    var acc = 0.0;
    for (var j = 0u; j < seq; j++) { acc += probs[row + j] * v[(b * seq + j) * hidden + h * d + e]; }
    ctx[qo + e] = acc;
  }
}
