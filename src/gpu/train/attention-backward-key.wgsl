// Attention backward, key side, after the query side stored dS: one invocation per (key j,
// head, sequence): dk_j = Σ_i dS_ij q_i, dv_j = Σ_i P_ij dctx_i.
// Uniform: u0 = seq, u1 = heads, u2 = d.
@group(0) @binding(1) var<storage, read> dctx: array<f32>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> ds: array<f32>;
@group(0) @binding(5) var<storage, read_write> dk: array<f32>;
@group(0) @binding(6) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let seq = p.u0;
  let heads = p.u1;
  let d = p.u2;
  let j = gid.x;
  if (j >= seq) { return; }
  let h = wid.y;
  let b = wid.z;
  let hidden = heads * d;
  let col = (b * heads + h) * seq * seq + j; // P[b, h, i, j] = col + i*seq
  let jo = (b * seq + j) * hidden + h * d;
  for (var e = 0u; e < d; e++) {
    var gk = 0.0;
    var gv = 0.0;
    for (var i = 0u; i < seq; i++) {
      let io = (b * seq + i) * hidden + h * d + e;
      gk += ds[col + i * seq] * q[io];
      gv += probs[col + i * seq] * dctx[io];
    }
    dk[jo + e] = gk;
    dv[jo + e] = gv;
  }
}
