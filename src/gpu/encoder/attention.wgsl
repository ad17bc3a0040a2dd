// Fused scaled dot-product attention with the padding mask, for any head size D:
// ctx = softmax(Q Kᵀ / sqrt(D) + mask) V per (sequence, head), scores, mask, softmax and the
// value product in registers and workgroup memory: no L x L matrix is ever written out. QT * S
// threads a workgroup: QT query slots, each QPT query rows (rows slot, slot + QT, ...: a workgroup
// covers QT * QPT rows), and S key splits; keys and values stream through workgroup memory KT at a
// time, and the thread of split s walks chunks s, s + S, ... of KC keys of each tile with an online
// (running max) softmax. With S > 1 the splits' partial results (max, sum, weighted values) are
// merged through workgroup memory at the end: S times the threads for the same queries, which fills
// a large GPU where a thread per query leaves it mostly idle. Every loop bound is a constant (KC,
// D4, QPT, S), so the compiler can unroll them and keep the scores, queries and accumulators in
// registers (a per-thread score array of a whole 64-key tile, indexed by a loop it does not unroll,
// lands in local memory). With QPT = 2 each key and value read from workgroup memory feeds two
// queries.
// Q, K and V are read from rows of STRIDE floats, head h's columns at QO/KO/VO + h*D (three
// [tokens, H] buffers, or the one [tokens, 3 blocks] output of the fused Q/K/V linear); ctx is
// [tokens, H]. Head vectors are padded to 4*D4 with zeros and handled as vec4, so a score costs
// D4 vector reads of workgroup memory instead of D scalar ones.
// Prepended: consts H, D, D4, QT, QPT, S, KT, KC (KT a multiple of KC), STRIDE, QO, KO, VO, and
// KV >= 2 * KT * D4 (and >= S * QT * D4 when S > 1), ML >= S * QT * QPT (1 when S = 1), then
// attention-load-f32.wgsl.

struct Params { seq: u32, scale: f32, heads: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
// q, k, v (bindings 1-3) and quad_k/v(at, e) come from attention-load-f32.wgsl.
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

/** Keys at [0, KT * D4), values at [KT * D4, 2 * KT * D4); the splits' merge reuses it. */
var<workgroup> kv: array<vec4<f32>, KV>;
/** Each split's running (max, sum) per query row, for the merge. */
var<workgroup> ml: array<vec2<f32>, ML>;
/** 0 for an attended key, -1e30 for padding and keys past the sequence (exp underflows to
 *  exactly 0 once any real key has been seen; every sequence has at least one, and a chunk seen
 *  before it is wiped by the rescale exp(-1e30 - max) = 0). */
var<workgroup> kbias: array<f32, KT>;

const VB = KT * D4; // where the values start in kv

@compute @workgroup_size(QT * S)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let b = wid.z;
  let col = live_head(wid.y) * D;
  let slot = lid % QT;
  let split = lid / QT;
  let first = wid.x * QT * QPT + slot;

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
    for (var idx = lid; idx < KT * D4; idx += QT * S) {
      let j = t0 + idx / D4;
      let e = (idx % D4) * 4u;
      var kq = vec4<f32>(0.0);
      var vq = vec4<f32>(0.0);
      if (j < seq) {
        let r = (b * seq + j) * STRIDE + col;
        kq = quad_k(r + KO, e);
        vq = quad_v(r + VO, e);
      }
      kv[idx] = kq;
      kv[VB + idx] = vq;
    }
    for (var jj = lid; jj < KT; jj += QT * S) {
      let j = t0 + jj;
      var bias = -1.0e30;
      if (j < seq) { if (mask[b * seq + j] != 0u) { bias = 0.0; } }
      kbias[jj] = bias;
    }
    workgroupBarrier();

    let kn = min(KT, seq - t0); // chunks past the sequence's end are skipped
    for (var c0 = split * KC; c0 < kn; c0 += S * KC) {
      // Scores of KC keys for each of the thread's queries: each key quad read once.
      var s: array<f32, QPT * KC>;
      for (var n = 0u; n < KC; n++) {
        let kb = kbias[c0 + n];
        for (var r = 0u; r < QPT; r++) { s[r * KC + n] = kb; }
        for (var c = 0u; c < D4; c++) {
          let kk = kv[(c0 + n) * D4 + c];
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
          let vv = kv[VB + (c0 + n) * D4 + c];
          for (var r = 0u; r < QPT; r++) { acc[r * D4 + c] += s[r * KC + n] * vv; }
        }
      }
    }
    workgroupBarrier(); // the next tile (or the merge) overwrites kv
  }

  if (S > 1u) {
    // Merge the splits: each rescales its part to the rows' overall maximum and divides by the
    // overall sum (a split that saw only padding has a max near -1e30 and weighs exp(-1e30 - M) = 0;
    // one that saw no chunk has -3e38), then every thread sums some of the S parts of some rows.
    for (var r = 0u; r < QPT; r++) { ml[(split * QT + slot) * QPT + r] = vec2<f32>(m[r], l[r]); }
    workgroupBarrier();
    for (var r = 0u; r < QPT; r++) { // one row of each slot at a time: kv holds QT * S parts
      var mx = -3.0e38;
      for (var s2 = 0u; s2 < S; s2++) { mx = max(mx, ml[(s2 * QT + slot) * QPT + r].x); }
      var sum = 0.0;
      for (var s2 = 0u; s2 < S; s2++) {
        let part = ml[(s2 * QT + slot) * QPT + r];
        sum += part.y * exp(part.x - mx);
      }
      let f = exp(m[r] - mx) / sum;
      for (var c = 0u; c < D4; c++) { kv[(split * QT + slot) * D4 + c] = acc[r * D4 + c] * f; }
      workgroupBarrier();
      for (var e = lid; e < QT * D4; e += QT * S) {
        let c = e % D4;
        let sl = e / D4;
        var o = vec4<f32>(0.0);
        for (var s2 = 0u; s2 < S; s2++) { o += kv[(s2 * QT + sl) * D4 + c]; }
        let i = wid.x * QT * QPT + sl + r * QT;
        if (i < seq) {
          let at = (b * seq + i) * H + col + 4u * c;
          for (var x = 0u; x < 4u; x++) { if (4u * c + x < D) { ctx[at + x] = o[x]; } }
        }
      }
      workgroupBarrier();
    }
    return;
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
