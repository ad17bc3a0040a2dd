// Fused scaled dot-product attention, register-blocked like a matrix product: one workgroup a
// (query block of QB rows, head, sequence). The block's queries (pre-scaled) and KT keys and values
// at a time sit in workgroup memory as padded head vectors of DP4 quads (DP4 * 4 > D: lane D is
// spare). Two phases a key tile:
//  1. scores: thread (qg, kg) computes a 4 x KN micro-tile, query rows qg*4 .. qg*4+3 against keys
//     kg, kg + KG, ... (each quad of 4 queries and KN keys read once feeds 16 * KN products). Lane D
//     of a query is 1 and lane D of a key its mask bias (0, -1e30 for padding, -3e38 past the
//     sequence), so the mask costs nothing. The rows' maxima go through workgroup memory (red), the
//     running maximum m is updated (online softmax across tiles) and exp(score - m) is stored
//     transposed, P^T[key][query quad], over the keys (no longer needed); alpha = exp(m_old - m).
//  2. values: thread (split ps, query quad pg, head quad pc) scales its 4 accumulators by alpha and
//     adds P^T[j][pg] * V[j][pc] over its split's keys. Lane D of every value is 1, so lane D of the
//     accumulator is the softmax's sum: no second reduction.
// At the end the splits' accumulators meet in workgroup memory and every thread writes some of the
// block's QB x D outputs (consecutive threads, consecutive floats), divided by the sum.
// Q, K and V are read from rows of STRIDE floats, head h's columns at QO/KO/VO + h*D; ctx is
// [tokens, H]. Every store to workgroup memory is a whole vec4 from one thread.
// Prepended: consts H, D, DP4, QB (4 * QG), QG (a power of two), KT, KN, KG = KT / KN, THREADS =
// QG * KG, KS (value splits: KS * QG * DP4 <= THREADS), KPS = KT / KS (a multiple of 4), PS = QG + 1
// (P^T's row pitch in quads: consecutive keys fall in different banks), KP >= max(KT * DP4,
// KT * PS, KS * QB * DP4), NIT = ceil(KT * DP4 / THREADS) (tile quads a thread fetches), STRIDE,
// QO, KO, VO, ABLATE (0; for `hp-lab bench attention --ablate` only, wrong results by design:
// bit 1 skips the K/V loads, 2 the scores' products, 4 the value products).

struct Params { seq: u32, scale: f32, heads: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;
// q, k, v (bindings 1-3) and quad_q/k/v(at, e): four head values from element e of the row
// starting at float `at`, zeros past D, come from attention-load-f32.wgsl or, where every row and
// head starts at an even float, attention-load-pairs.wgsl (two 8-byte loads a quad).

/** The query block, [QB][DP4]. */
var<workgroup> qs: array<vec4<f32>, QB * DP4>;
/** The key tile [KT][DP4]; then P^T [KT][PS]; at the end the splits' accumulators [KS][QB][DP4]. */
var<workgroup> kp: array<vec4<f32>, KP>;
/** The value tile [KT][DP4]. */
var<workgroup> vs: array<vec4<f32>, KT * DP4>;
/** Each score thread's maxima of its 4 rows, [QG][KG]. */
var<workgroup> red: array<vec4<f32>, THREADS>;
/** exp(previous max - new max) of each query quad's rows. */
var<workgroup> alpha: array<vec4<f32>, QG>;

/** x with lane D (if this quad, starting at element e, holds it) set to `spare`. */
fn with_spare(x: vec4<f32>, e: u32, spare: f32) -> vec4<f32> {
  var r = x;
  if (e <= D && D < e + 4u) { r[D - e] = spare; }
  return r;
}

/** This thread's quads (lid + it * THREADS) of the key and value tile starting at key t0. */
struct Tile { k: array<vec4<f32>, NIT>, v: array<vec4<f32>, NIT> }

fn fetch(t0: u32, lid: u32, seq: u32, base: u32, col: u32) -> Tile {
  var t: Tile;
  for (var it = 0u; it < NIT; it++) {
    let idx = lid + it * THREADS;
    let j = t0 + idx / DP4;
    let e = (idx % DP4) * 4u;
    var kq = vec4<f32>(0.0);
    var vq = vec4<f32>(0.0);
    var bias = -3.0e38;
    if (idx < KT * DP4 && j < seq) {
      let at = (base + j) * STRIDE + col;
      kq = quad_k(at + KO, e);
      vq = quad_v(at + VO, e);
      bias = select(-1.0e30, 0.0, mask[base + j] != 0u);
    }
    t.k[it] = with_spare(kq, e, bias);
    t.v[it] = with_spare(vq, e, 1.0);
  }
  return t;
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let base = wid.z * seq;
  let col = live_head(wid.y) * D;
  let q0 = wid.x * QB;

  // Rows past the end duplicate the last row (computed, never stored).
  for (var it = 0u; it < (QB * DP4 + THREADS - 1u) / THREADS; it++) {
    let idx = lid + it * THREADS;
    if (idx < QB * DP4) {
      let r = idx / DP4;
      let e = (idx % DP4) * 4u;
      let row = base + min(q0 + r, seq - 1u);
      qs[idx] = with_spare(quad_q(row * STRIDE + QO + col, e) * p.scale, e, 1.0);
    }
  }

  let kg = lid % KG; // score phase: keys kg + KG * n
  let qg = lid / KG; // score phase: query rows qg * 4 ..
  let pc = lid % DP4; // value phase: head quad
  let pg = (lid / DP4) % QG; // value phase: query quad
  let ps = lid / (DP4 * QG); // value phase: key split
  var m = vec4<f32>(-3.4e38);
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }

  var tile: Tile; // zeros (ABLATE bit 1: no K/V loads)
  if ((ABLATE & 1u) == 0u) { tile = fetch(0u, lid, seq, base, col); }
  for (var t0 = 0u; t0 < seq; t0 += KT) {
    for (var it = 0u; it < NIT; it++) {
      let idx = lid + it * THREADS;
      if (idx < KT * DP4) {
        kp[idx] = tile.k[it];
        vs[idx] = tile.v[it];
      }
    }
    workgroupBarrier();
    // The next tile's loads are issued now and waited for only at the next tile's stores.
    if (t0 + KT < seq && (ABLATE & 1u) == 0u) { tile = fetch(t0 + KT, lid, seq, base, col); }

    // 1. Scores of the 4 x KN micro-tile.
    var s: array<f32, 4 * KN>;
    for (var x = 0u; x < 4u * KN; x++) { s[x] = 0.0; }
    for (var c = 0u; c < DP4 * u32((ABLATE & 2u) == 0u); c++) {
      var a: array<vec4<f32>, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = qs[(qg * 4u + i) * DP4 + c]; }
      for (var n = 0u; n < KN; n++) {
        let kk = kp[(kg + KG * n) * DP4 + c];
        for (var i = 0u; i < 4u; i++) {
          let ai = a[i];
          s[i * KN + n] = fma(ai.w, kk.w, fma(ai.z, kk.z, fma(ai.y, kk.y, fma(ai.x, kk.x, s[i * KN + n]))));
        }
      }
    }
    var mx = vec4<f32>(-3.4e38);
    for (var i = 0u; i < 4u; i++) {
      for (var n = 0u; n < KN; n++) { mx[i] = max(mx[i], s[i * KN + n]); }
    }
    red[qg * KG + kg] = mx;
    workgroupBarrier(); // also: every key read is done, P^T may overwrite them
    var tm = red[qg * KG];
    for (var g = 1u; g < KG; g++) { tm = max(tm, red[qg * KG + g]); }
    let mn = max(m, tm);
    if (kg == 0u) { alpha[qg] = exp(m - mn); }
    m = mn;
    for (var n = 0u; n < KN; n++) {
      let j = kg + KG * n;
      kp[j * PS + qg] = exp(vec4<f32>(s[n], s[KN + n], s[2u * KN + n], s[3u * KN + n]) - mn);
    }
    workgroupBarrier();

    // 2. Values: this split's keys of the tile (keys past the sequence have P = 0 exactly).
    if (lid < KS * QG * DP4) {
      let al = alpha[pg];
      for (var i = 0u; i < 4u; i++) { acc[i] *= al[i]; }
      let j1 = min(ps * KPS + KPS, seq - t0);
      for (var j = ps * KPS; j < j1 * u32((ABLATE & 4u) == 0u); j += 4u) {
        for (var u = 0u; u < 4u; u++) {
          let pv = kp[(j + u) * PS + pg];
          let vv = vs[(j + u) * DP4 + pc];
          for (var i = 0u; i < 4u; i++) { acc[i] = fma(vec4<f32>(pv[i]), vv, acc[i]); }
        }
      }
    }
    workgroupBarrier(); // the next tile (or the merge) overwrites kp and vs
  }

  if (lid < KS * QG * DP4) {
    for (var i = 0u; i < 4u; i++) { kp[(ps * QB + pg * 4u + i) * DP4 + pc] = acc[i]; }
  }
  workgroupBarrier();
  for (var idx = lid; idx < QB * D; idx += THREADS) {
    let r = idx / D;
    let e = idx % D;
    let i = q0 + r;
    if (i < seq) {
      var o = 0.0;
      var l = 0.0;
      for (var x = 0u; x < KS; x++) {
        let at = (x * QB + r) * DP4;
        o += kp[at + e / 4u][e % 4u];
        l += kp[at + D / 4u][D % 4u];
      }
      ctx[(base + i) * H + col + e] = o / l;
    }
  }
}
