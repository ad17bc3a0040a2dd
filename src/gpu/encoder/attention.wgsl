// Scaled dot-product attention with the padding mask, for any head size D: ctx = softmax(Q Kᵀ
// / sqrt(D) + mask) V per (sequence, head). One thread per query row, QT rows a workgroup; keys
// and values stream through workgroup memory KT at a time with an online (running max)
// softmax, so any sequence length fits. Q, K, V and ctx are [tokens, H] with head h in
// columns h*D .. h*D+D-1 (the layout the linears produce, no transposes).
// Prepended: consts H, D, QT, KT.

struct Params { seq: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

var<workgroup> ks: array<f32, KT * D>;
var<workgroup> vs: array<f32, KT * D>;
/** 0 for an attended key, -1e30 for padding (exp underflows to exactly 0 once any real key
 *  has been seen; every sequence has at least one). */
var<workgroup> kbias: array<f32, KT>;

@compute @workgroup_size(QT)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let b = wid.z;
  let col = wid.y * D;
  let i = wid.x * QT + lid;
  let row = b * seq + min(i, seq - 1u); // threads past the end compute a duplicate, never stored

  var qv: array<f32, D>;
  for (var e = 0u; e < D; e++) { qv[e] = q[row * H + col + e] * p.scale; }
  var acc: array<f32, D>;
  var m = -3.0e38;
  var l = 0.0;

  for (var t0 = 0u; t0 < seq; t0 += KT) {
    for (var idx = lid; idx < KT * D; idx += QT) {
      let j = t0 + idx / D;
      var kv = 0.0;
      var vv = 0.0;
      if (j < seq) {
        let o = (b * seq + j) * H + col + idx % D;
        kv = k[o];
        vv = v[o];
      }
      ks[idx] = kv;
      vs[idx] = vv;
    }
    for (var jj = lid; jj < KT; jj += QT) {
      let j = t0 + jj;
      var bias = -1.0e30;
      if (j < seq) { if (mask[b * seq + j] != 0u) { bias = 0.0; } }
      kbias[jj] = bias;
    }
    workgroupBarrier();

    var s: array<f32, KT>;
    var tmax = m;
    for (var jj = 0u; jj < KT; jj++) {
      var d = 0.0;
      for (var e = 0u; e < D; e++) { d += qv[e] * ks[jj * D + e]; }
      d += kbias[jj];
      s[jj] = d;
      tmax = max(tmax, d);
    }
    let c = exp(m - tmax);
    l *= c;
    for (var e = 0u; e < D; e++) { acc[e] *= c; }
    for (var jj = 0u; jj < KT; jj++) {
      let pj = exp(s[jj] - tmax);
      l += pj;
      for (var e = 0u; e < D; e++) { acc[e] += pj * vs[jj * D + e]; }
    }
    m = tmax;
    workgroupBarrier(); // the next tile overwrites ks/vs
  }

  if (i < seq) {
    let inv = 1.0 / l;
    for (var e = 0u; e < D; e++) { ctx[row * H + col + e] = acc[e] * inv; }
  }
}
