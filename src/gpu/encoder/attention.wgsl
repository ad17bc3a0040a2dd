// Fused scaled dot-product attention with the padding mask, for any head size D:
// ctx = softmax(Q Kᵀ / sqrt(D) + mask) V per (sequence, head), scores, mask, softmax and the
// value product in registers and workgroup memory: no L x L matrix is ever written out. One
// thread per query row, QT rows a workgroup; keys and values stream through workgroup memory
// KT at a time with an online (running max) softmax, so any sequence length fits.
// Q, K and V are read from rows of STRIDE floats, head h's columns at QO/KO/VO + h*D (three
// [tokens, H] buffers, or the one [tokens, 3 blocks] output of the fused Q/K/V linear); ctx is
// [tokens, H]. Head vectors are padded to DP = 4*D4 with zeros and handled as vec4, so a score
// costs D4 vector reads of workgroup memory instead of D scalar ones.
// Prepended: consts H, D, D4, QT, KT, STRIDE, QO, KO, VO.

struct Params { seq: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

var<workgroup> ks: array<vec4<f32>, KT * D4>;
var<workgroup> vs: array<vec4<f32>, KT * D4>;
/** 0 for an attended key, -1e30 for padding (exp underflows to exactly 0 once any real key
 *  has been seen; every sequence has at least one). */
var<workgroup> kbias: array<f32, KT>;

/** Four consecutive head values starting at element e of `row`'s head (zeros past D). */
fn head_quad_k(base: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < D) { r[c] = k[base + e + c]; } }
  return r;
}

fn head_quad_v(base: u32, e: u32) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (e + c < D) { r[c] = v[base + e + c]; } }
  return r;
}

@compute @workgroup_size(QT)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let b = wid.z;
  let col = wid.y * D;
  let i = wid.x * QT + lid;
  let row = b * seq + min(i, seq - 1u); // threads past the end compute a duplicate, never stored

  var qv: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    var r = vec4<f32>(0.0);
    for (var e = 0u; e < 4u; e++) { if (4u * c + e < D) { r[e] = q[row * STRIDE + QO + col + 4u * c + e]; } }
    qv[c] = r * p.scale;
    acc[c] = vec4<f32>(0.0);
  }
  var m = -3.0e38;
  var l = 0.0;

  for (var t0 = 0u; t0 < seq; t0 += KT) {
    for (var idx = lid; idx < KT * D4; idx += QT) {
      let j = t0 + idx / D4;
      let e = (idx % D4) * 4u;
      var kq = vec4<f32>(0.0);
      var vq = vec4<f32>(0.0);
      if (j < seq) {
        let r = (b * seq + j) * STRIDE + col;
        kq = head_quad_k(r + KO, e);
        vq = head_quad_v(r + VO, e);
      }
      ks[idx] = kq;
      vs[idx] = vq;
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
      for (var c = 0u; c < D4; c++) { d += dot(qv[c], ks[jj * D4 + c]); }
      d += kbias[jj];
      s[jj] = d;
      tmax = max(tmax, d);
    }
    let scale = exp(m - tmax);
    l *= scale;
    for (var c = 0u; c < D4; c++) { acc[c] *= scale; }
    for (var jj = 0u; jj < KT; jj++) {
      let pj = exp(s[jj] - tmax);
      l += pj;
      for (var c = 0u; c < D4; c++) { acc[c] += pj * vs[jj * D4 + c]; }
    }
    m = tmax;
    workgroupBarrier(); // the next tile overwrites ks/vs
  }

  if (i < seq) {
    let inv = 1.0 / l;
    for (var c = 0u; c < D4; c++) {
      for (var e = 0u; e < 4u; e++) { if (4u * c + e < D) { ctx[row * H + col + 4u * c + e] = acc[c][e] * inv; } }
    }
  }
}
