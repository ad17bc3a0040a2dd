// Attention backward, query side (attention-backward-key.wgsl does the keys), from dctx and the
// kept P, one invocation per (query i, head, sequence):
//   dP_ij = dctx_i·v_j, dS_ij = P_ij (dP_ij - Σ_j P_ij dP_ij)·scale (stored for the key side),
//   dq_i = Σ_j dS_ij k_j.
// Uniform: u0 = seq, u1 = heads, u2 = d, f0 = scale.
@group(0) @binding(1) var<storage, read> dctx: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> ds: array<f32>;
@group(0) @binding(6) var<storage, read_write> dq: array<f32>;

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
  let io = (b * seq + i) * hidden + h * d;
  var r = 0.0;
  for (var j = 0u; j < seq; j++) {
    let jo = (b * seq + j) * hidden + h * d;
    var dp = 0.0;
    for (var e = 0u; e < d; e++) { dp += dctx[io + e] * v[jo + e]; }
    ds[row + j] = dp;
    r += probs[row + j] * dp;
  }
  for (var j = 0u; j < seq; j++) { ds[row + j] = probs[row + j] * (ds[row + j] - r) * p.f0; }
  for (var e = 0u; e < d; e++) {
    var acc = 0.0;
    for (var j = 0u; j < seq; j++) { acc += ds[row + j] * k[(b * seq + j) * hidden + h * d + e]; }
    dq[io + e] = acc;
  }
}

