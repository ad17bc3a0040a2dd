// Fused scaled dot-product attention with the padding mask, for any head size D:
// ctx = softmax(Q Kᵀ / sqrt(D) + mask) V per (sequence, head), scores, mask, softmax and the
// value product in registers and workgroup memory: no L x L matrix is ever written out. QT
// threads a workgroup, QPT query rows a thread (rows lid, lid + QT, ...: a workgroup covers
// QT * QPT rows); keys and values stream through workgroup memory KT at a time, and each thread
// walks a tile KC keys at a time with an online (running max) softmax. Every loop bound is a
// constant (KC, D4, QPT), so the compiler can unroll them and keep the scores, queries and
// accumulators in registers (a per-thread score array of a whole 64-key tile, indexed by a loop it
// does not unroll, lands in local memory). With QPT = 2 each key and value read from workgroup
// memory feeds two queries.
// Q, K and V are read from rows of STRIDE floats, head h's columns at QO/KO/VO + h*D (three
// [tokens, H] buffers, or the one [tokens, 3 blocks] output of the fused Q/K/V linear); ctx is
// [tokens, H]. Head vectors are padded to 4*D4 with zeros and handled as vec4, so a score costs
// D4 vector reads of workgroup memory instead of D scalar ones.
// Prepended: consts H, D, D4, QT, QPT, KT, KC (KT a multiple of KC), STRIDE, QO, KO, VO.

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
/** 0 for an attended key, -1e30 for padding and keys past the sequence (exp underflows to
 *  exactly 0 once any real key has been seen; every sequence has at least one, and a chunk seen
 *  before it is wiped by the rescale exp(-1e30 - max) = 0). */
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
  let first = wid.x * QT * QPT + lid;

  var qv: array<vec4<f32>, QPT * D4>;
  var acc: array<vec4<f32>, QPT * D4>;
  var m: array<f32, QPT>;
  var l: array<f32, QPT>;
  for (var r = 0u; r < QPT; r++) {
    // Rows past the end compute a duplicate of the last row, never stored.
    let row = b * seq + min(first + r * QT, seq - 1u);
    for (var c = 0u; c < D4; c++) {
      var x = vec4<f32>(0.0);
      for (var e = 0u; e < 4u; e++) { if (4u * c + e < D) { x[e] = q[row * STRIDE + QO + col + 4u * c + e]; } }
      qv[r * D4 + c] = x * p.scale;
      acc[r * D4 + c] = vec4<f32>(0.0);
    }
    m[r] = -3.0e38;
    l[r] = 0.0;
  }

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

    let kn = min(KT, seq - t0); // chunks past the sequence's end are skipped
    for (var c0 = 0u; c0 < kn; c0 += KC) {
      // Scores of KC keys for each of the thread's queries: each key quad read once.
      var s: array<f32, QPT * KC>;
      for (var n = 0u; n < KC; n++) {
        let kb = kbias[c0 + n];
        for (var r = 0u; r < QPT; r++) { s[r * KC + n] = kb; }
        for (var c = 0u; c < D4; c++) {
          let kk = ks[(c0 + n) * D4 + c];
          for (var r = 0u; r < QPT; r++) { s[r * KC + n] += dot(qv[r * D4 + c], kk); }
        }
      }
      // Online softmax: rescale what came before to the new running maximum.
      for (var r = 0u; r < QPT; r++) {
        var mx = m[r];
        for (var n = 0u; n < KC; n++) { mx = max(mx, s[r * KC + n]); }
        let scale = exp(m[r] - mx);
        m[r] = mx;
        var lr = l[r] * scale;
        for (var n = 0u; n < KC; n++) {
          let pj = exp(s[r * KC + n] - mx);
          s[r * KC + n] = pj;
          lr += pj;
        }
        l[r] = lr;
        for (var c = 0u; c < D4; c++) { acc[r * D4 + c] *= scale; }
      }
      for (var n = 0u; n < KC; n++) {
        for (var c = 0u; c < D4; c++) {
          let vv = vs[(c0 + n) * D4 + c];
          for (var r = 0u; r < QPT; r++) { acc[r * D4 + c] += s[r * KC + n] * vv; }
        }
      }
    }
    workgroupBarrier(); // the next tile overwrites ks/vs
  }

  for (var r = 0u; r < QPT; r++) {
    let i = first + r * QT;
    if (i < seq) {
      let row = b * seq + i;
      let inv = 1.0 / l[r];
      for (var c = 0u; c < D4; c++) {
        for (var e = 0u; e < 4u; e++) {
          if (4u * c + e < D) { ctx[row * H + col + 4u * c + e] = acc[r * D4 + c][e] * inv; }
        }
      }
    }
  }
}
