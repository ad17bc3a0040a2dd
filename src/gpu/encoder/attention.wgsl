// Fused scaled dot-product attention with the padding mask, for any head size D:
// ctx = softmax(Q Kᵀ / sqrt(D) + mask) V per (sequence, head). Scores, mask, softmax and the
// value product stay in registers and workgroup memory: no L x L matrix is ever written out.
// A workgroup takes QT queries of one (sequence, head) with S threads per query (QT*S threads):
// keys and values stream through workgroup memory KT = S*KPT at a time, and thread s of a query
// takes keys s, s+S, ... of each tile with its own online (running max) softmax, so S times more
// threads share the work than one thread per query would (at B=32 L=128 one thread per query left
// the H200 a fifth full). At the end the S partial results of a query are rescaled to their common
// maximum and summed through workgroup memory, R head components per round.
// Q, K and V are read from rows of STRIDE floats, head h's columns at QO/KO/VO + h*D (three
// [tokens, H] buffers, or the one [tokens, 3 blocks] output of the fused Q/K/V linear); ctx is
// [tokens, H]. Head vectors are padded to 4*D4 with zeros and handled as vec4, so a score costs
// D4 vector reads of workgroup memory instead of D scalar ones.
// Prepended: consts H, D, D4, QT, S, KPT, KT, R, SH, STRIDE, QO, KO, VO.

struct Params { seq: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

/** While streaming: the key tile (KT * D4 vec4) then the value tile (KT * D4). While merging:
 *  R components of every thread's partial sum (QT * S * R vec4). */
var<workgroup> sh: array<vec4<f32>, SH>;
/** 0 for an attended key, -1e30 for padding and for keys past the sequence (exp of a padded
 *  score underflows to exactly 0 once any real key has been seen; the merge rescales a thread
 *  that saw only padding by exp(-1e30 - max) = 0; every sequence has a real key). */
var<workgroup> kbias: array<f32, KT>;
/** Each thread's running maximum and its rescaled denominator, for the merge. */
var<workgroup> maxes: array<f32, QT * S>;
var<workgroup> dens: array<f32, QT * S>;

@compute @workgroup_size(QT * S)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let b = wid.z;
  let col = wid.y * D;
  let qi = lid % QT; // query within the tile (consecutive lanes: consecutive queries)
  let s = lid / QT; // key phase (a subgroup of >= QT lanes reads one key at a time: broadcast)
  let i = wid.x * QT + qi;
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
    // K and V tiles, element by element (a head's D floats are contiguous in its row), zeros in
    // the padding of each head vector and for keys past the sequence.
    for (var idx = lid; idx < KT * 4u * D4; idx += QT * S) {
      let jj = idx / (4u * D4);
      let e = idx % (4u * D4);
      let j = t0 + jj;
      var kx = 0.0;
      var vx = 0.0;
      if (j < seq && e < D) {
        let r = (b * seq + j) * STRIDE + col + e;
        kx = k[r + KO];
        vx = v[r + VO];
      }
      sh[jj * D4 + e / 4u][e % 4u] = kx;
      sh[(KT + jj) * D4 + e / 4u][e % 4u] = vx;
    }
    for (var jj = lid; jj < KT; jj += QT * S) {
      let j = t0 + jj;
      var bias = -1.0e30;
      if (j < seq) { if (mask[b * seq + j] != 0u) { bias = 0.0; } }
      kbias[jj] = bias;
    }
    workgroupBarrier();

    var sc: array<f32, KPT>;
    var tmax = m;
    for (var n = 0u; n < KPT; n++) {
      let jj = s + n * S;
      var d = 0.0;
      for (var c = 0u; c < D4; c++) { d += dot(qv[c], sh[jj * D4 + c]); }
      d += kbias[jj];
      sc[n] = d;
      tmax = max(tmax, d);
    }
    let scale = exp(m - tmax);
    l *= scale;
    for (var c = 0u; c < D4; c++) { acc[c] *= scale; }
    for (var n = 0u; n < KPT; n++) {
      let jj = s + n * S;
      let pj = exp(sc[n] - tmax);
      l += pj;
      for (var c = 0u; c < D4; c++) { acc[c] += pj * sh[(KT + jj) * D4 + c]; }
    }
    m = tmax;
    workgroupBarrier(); // the next tile overwrites sh
  }

  // Merge the S partial results of each query: rescale to the common maximum, then sum.
  maxes[lid] = m;
  workgroupBarrier();
  var mq = -3.0e38;
  for (var t = 0u; t < S; t++) { mq = max(mq, maxes[t * QT + qi]); }
  let f = exp(m - mq);
  dens[lid] = l * f;
  workgroupBarrier();
  var total = 0.0;
  for (var t = 0u; t < S; t++) { total += dens[t * QT + qi]; }
  let inv = 1.0 / total;
  // R head components per round; in the sum, thread s of a query takes components s, s+S, ...
  for (var c0 = 0u; c0 < D4; c0 += R) {
    for (var r = 0u; r < R; r++) {
      if (c0 + r < D4) { sh[r * QT * S + lid] = acc[c0 + r] * f; }
    }
    workgroupBarrier();
    for (var r = s; r < R; r += S) {
      let c = c0 + r;
      if (c < D4 && i < seq) {
        var sum = vec4<f32>(0.0);
        for (var t = 0u; t < S; t++) { sum += sh[r * QT * S + t * QT + qi]; }
        for (var e = 0u; e < 4u; e++) { if (4u * c + e < D) { ctx[row * H + col + 4u * c + e] = sum[e] * inv; } }
      }
    }
    workgroupBarrier(); // the next round overwrites sh
  }
}
