// The int8 model's integer attention (core/quant int-attention.ts, the same integers as
// attention-int8.wgsl) on subgroup matrices (chromium_experimental_subgroup_matrix: the tensor
// cores): Q.K^T and P.V as i8 x i8 -> i32 multiply-accumulates of 16 x 16 x 32, so only the softmax
// codes are computed a score by the invocations.
// One workgroup of NSG subgroups per (head, sequence, NSG x 16 queries): every invocation first
// helps with the ranges (the head's K range and V's channel ranges over the live keys, each query's
// |q| range; atomicMax on the bits of |x|) and then the codes: K and V rows of DP codes (DP = the
// head size + 1 rounded up to 32: V's channel D holds 1 for every live key, so P.V's column D is
// Σ P) and the queries' rows, all in workgroup memory, each task a word of four codes (neighbours
// read neighbouring floats, no chain of dependent loads). Then each subgroup takes its 16 queries:
// for each chunk of 32 keys S = Q.K^T (two 16 x 16 fragments, KS steps of 32) stored to its strip
// and the row maxima over the live keys (pass 1), then again S, the softmax codes
// P = round(127 exp(f32(s - max) * c)) written as bytes to its P tile (16 x 32), and P.V into NF
// result fragments of 16 channels (pass 2); ctx = f32(sum) / f32(Σ P) * V's channel scale.
// Workgroup memory `sm` (i32 words; subgroup-matrix offsets and strides count i8 codes, i32 for
// the results): K codes [LMAX x DW], V codes [LMAX x DW], Q codes [NSG x 16 x DW], then per
// subgroup its P tile [16 x 8] and strip [STRIPW] (S: 16 x 32 i32, rows SS apart; at the end the
// results, rows SO apart).
// The invocations' share of a chunk: ITEMS = 128 / SG items (row r = t / 8, keys 4w..4w+3 with
// w = t % 8, t = lane + s SG; IU of them written out at a time), each reading its four scores
// rotated by the row (key (k + r) % 4 at step k) so that a subgroup's reads of the strip hit
// different banks.
// Prepended: the enables, consts H, D, DP, DW (= DP / 4), KS (= DP / 32), NF (V fragments:
// ceil((D + 1) / 16)), SG, NSG, ITEMS, IU, LMAX (a multiple of 32), SS, SO, STRIPW, STRIDE, QO, KO, VO, the
// SOFTMAX_T table, int8-scale.wgsl and attention-int8-common.wgsl (softmax_code, keyInit,
// keyRanges, keyScales). ABL (measurement only, wrong results; 0 = the kernel): bits 1 no ranges,
// 2 no codes, 4 no pass 1, 8 no softmax codes (a cheap stand-in); 16 (dump, a diagnosis aid):
// channels 0-5 of each output row hold the row's max score, c, Σ P, |q| range bits, Q's inverse
// scale and channel 0's sum instead. XSKIP: no exp below the first threshold (code 0 there; the
// same codes).

struct Params { seq: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

const THREADS = SG * NSG;
const QN = NSG * 16u; // queries a workgroup
const KC = 0u; // K codes: key j's DW words at KC + j * DW
const VC = LMAX * DW; // V codes alike
const QC = 2u * LMAX * DW; // Q codes: query r (of the workgroup's) at QC + r * DW
const SGW = 128u + STRIPW; // words of one subgroup's part (P tile, strip)
const SM = QC + QN * DW + NSG * SGW;

var<workgroup> sm: array<i32, SM>;
/** Per query of the workgroup: |q|'s range (bits), then its score factor c_i and inverse scale; the
 *  row's largest live score. */
var<workgroup> qmax: array<atomic<u32>, QN>;
var<workgroup> rowc: array<vec2<f32>, QN>;
var<workgroup> rowm: array<i32, QN>;

/** Word w of the codes of the row of floats from `at` in x (0: q, 1: k, 2: v; V by channel scale)
 *  under inverse scale inv; channel D holds `one`. */
fn codeWord(x: u32, at: u32, w: u32, inv: f32, one: u32) -> u32 {
  var word = 0u;
  for (var e = 0u; e < 4u; e++) {
    let ch = 4u * w + e;
    var c = select(0u, one, ch == D);
    if (ch < D) {
      if (x == 0u) {
        c = code(q[at + ch], inv);
      } else if (x == 1u) {
        c = code(k[at + ch], inv);
      } else {
        c = code(v[at + ch], vsc[ch].y);
      }
    }
    word |= c << (8u * e);
  }
  return word;
}

/** Item s of an invocation's share of a 16 x 32 chunk: (t, row t / 8, word t % 8), t = lane + s SG. */
fn item(lane: u32, s: u32) -> vec3<u32> {
  let t = lane + s * SG;
  return vec3<u32>(t, t / 8u, t % 8u);
}

/** S = Q.K^T for the 16 queries of Q tile qt (word offset) and keys 32c..32c+31, as 16 x 32 i32 at
 *  word offset st (row stride 32). */
fn scores(qt: u32, c: u32, st: u32) {
  var s0: subgroup_matrix_result<i32, 16, 16>;
  var s1: subgroup_matrix_result<i32, 16, 16>;
//#unroll KK {{KS}}
  {
    let a = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&sm, qt * 4u + {{KK}}u * 32u, false, DP);
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(
      &sm, KC * 4u + c * 32u * DP + {{KK}}u * 32u, true, DP
    );
    s0 = subgroupMatrixMultiplyAccumulate(a, b0, s0);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(
      &sm, KC * 4u + (c * 32u + 16u) * DP + {{KK}}u * 32u, true, DP
    );
    s1 = subgroupMatrixMultiplyAccumulate(a, b1, s1);
  }
//#end
  subgroupMatrixStore(&sm, st, s0, false, SS);
  subgroupMatrixStore(&sm, st + 16u, s1, false, SS);
}

@compute @workgroup_size(SG * NSG, 1, 1)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) sgSize: u32,
) {
  let seq = params.seq;
  let col = wid.x * D;
  let base = wid.y * seq;
  let q0w = wid.z * QN; // the workgroup's first query
  let sg = subgroupBroadcastFirst(tid / sgSize);
  keyInit(tid, THREADS, seq, base);
  workgroupBarrier();
  if ((ABL & 1u) == 0u) { keyRanges(tid, THREADS, seq, base, col); }
  // The queries' ranges: task t takes query t / W's four values from 4 (t % W).
  const W = (D + 3u) / 4u;
  for (var t = tid; t < QN * W * (1u - (ABL & 1u)); t += THREADS) {
    let r = t / W;
    let c = 4u * (t % W);
    if (q0w + r < seq) {
      let at = (base + q0w + r) * STRIDE + QO + col + c;
      var m = 0.0;
      for (var e = 0u; e < 4u; e++) {
        if (c + e < D) { m = max(m, abs(q[at + e])); }
      }
      atomicMax(&qmax[r], bitcast<u32>(m));
    }
  }
  workgroupBarrier();
  let ks = keyScales(tid, THREADS);
  for (var r = tid; r < QN; r += THREADS) {
    let qs = rowScale(bitcast<f32>(atomicLoad(&qmax[r])));
    // c = f32(f32(sq * sk) * scale): the first product rounded first (XOR with a run-time zero).
    // As written plainly, NVIDIA's compiler multiplied the loop-invariant ks.x * scale first: c 1
    // ulp off in a third of the rows, P codes off in 11 rows of 49152 at B = 32, L = 128 (H200,
    // bench attention '~dump', session 10).
    let c = bitcast<f32>(bitcast<u32>(qs.x * ks.x) ^ (params.seq >> 31u));
    rowc[r] = vec2<f32>(c * params.scale, qs.y);
  }
  workgroupBarrier();
  // The codes: K and V of the chunks' keys (zero rows for masked keys and past the sequence), the
  // workgroup's queries (zero rows past the sequence).
  let chunks = (seq + 31u) / 32u;
  for (var t = tid; t < chunks * 32u * DW * (1u - ((ABL >> 1u) & 1u)); t += THREADS) {
    let j = t / DW;
    var kw = 0u;
    var vw = 0u;
    if (live[j] != 0u) {
      kw = codeWord(1u, (base + j) * STRIDE + KO + col, t % DW, ks.y, 0u);
      vw = codeWord(2u, (base + j) * STRIDE + VO + col, t % DW, 0.0, 1u);
    }
    sm[KC + t] = bitcast<i32>(kw);
    sm[VC + t] = bitcast<i32>(vw);
  }
  for (var t = tid; t < QN * DW * (1u - ((ABL >> 1u) & 1u)); t += THREADS) {
    let r = t / DW;
    var qw = 0u;
    if (q0w + r < seq) { qw = codeWord(0u, (base + q0w + r) * STRIDE + QO + col, t % DW, rowc[r].y, 0u); }
    sm[QC + t] = bitcast<i32>(qw);
  }
  workgroupBarrier();

  let QT = QC + sg * 16u * DW; // this subgroup's 16 queries, P tile, strip (words)
  let PT = QC + QN * DW + sg * SGW;
  let ST = PT + 128u;
  let q0 = q0w + sg * 16u;
  // Pass 1: each row's largest score over the live keys.
  var mx: array<i32, ITEMS>;
  for (var i0 = 0u; i0 < ITEMS; i0 += IU) {
//#unroll S {{IU}}
    mx[i0 + {{S}}u] = -2147483647;
//#end
  }
  for (var c = 0u; c < chunks * (1u - ((ABL >> 2u) & 1u)); c++) {
    scores(QT, c, ST);
    workgroupBarrier();
    for (var i0 = 0u; i0 < ITEMS; i0 += IU) {
//#unroll S {{IU}}
      {
        let it = item(lane, i0 + {{S}}u); // (t, row, word)
//#unroll KK 4
        {
          let key = c * 32u + 4u * it.z + (({{KK}}u + it.y) & 3u);
          if (live[key] != 0u) { mx[i0 + {{S}}u] = max(mx[i0 + {{S}}u], sm[ST + it.y * SS + key % 32u]); }
        }
//#end
      }
//#end
    }
    workgroupBarrier();
  }
  // Row r's maximum: the largest of its 8 items' (item t at ST + t).
  for (var i0 = 0u; i0 < ITEMS; i0 += IU) {
//#unroll S {{IU}}
    sm[ST + lane + (i0 + {{S}}u) * SG] = mx[i0 + {{S}}u];
//#end
  }
  workgroupBarrier();
  for (var r = lane; r < 16u; r += sgSize) {
    var m = sm[ST + r * 8u];
    for (var w = 1u; w < 8u; w++) { m = max(m, sm[ST + r * 8u + w]); }
    rowm[sg * 16u + r] = m;
  }
  workgroupBarrier();
  var cf: array<f32, ITEMS>;
  for (var i0 = 0u; i0 < ITEMS; i0 += IU) {
//#unroll S {{IU}}
    mx[i0 + {{S}}u] = rowm[sg * 16u + (lane + (i0 + {{S}}u) * SG) / 8u];
    cf[i0 + {{S}}u] = rowc[sg * 16u + (lane + (i0 + {{S}}u) * SG) / 8u].x;
//#end
  }

  // Pass 2: the scores again, their softmax codes into the P tile, P.V.
//#unroll F {{NF}}
  var o{{F}}: subgroup_matrix_result<i32, 16, 16>;
//#end
  for (var c = 0u; c < chunks; c++) {
    scores(QT, c, ST);
    workgroupBarrier();
    for (var i0 = 0u; i0 < ITEMS; i0 += IU) {
//#unroll S {{IU}}
      {
        let it = item(lane, i0 + {{S}}u);
        let r = it.y;
        var pw = 0u;
//#unroll KK 4
        {
          let e = ({{KK}}u + r) & 3u;
          let key = 4u * it.z + e;
          if (live[c * 32u + key] != 0u) {
            let x = f32(sm[ST + r * SS + key] - mx[i0 + {{S}}u]) * cf[i0 + {{S}}u];
            var pc = u32(-x) & 127u;
            if ((ABL & 8u) == 0u) {
              pc = 0u;
              if (XSKIP == 0u || x >= thresholds[1]) { pc = softmax_code(x); }
            }
            pw |= pc << (8u * e);
          }
        }
//#end
        sm[PT + it.x] = bitcast<i32>(pw); // row r's word w
      }
//#end
    }
    workgroupBarrier();
    let pa = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&sm, PT * 4u, false, 32u);
//#unroll F {{NF}}
    let v{{F}} = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(
      &sm, VC * 4u + c * 32u * DP + {{F}}u * 16u, false, DP
    );
    o{{F}} = subgroupMatrixMultiplyAccumulate(pa, v{{F}}, o{{F}});
//#end
  }
  // The sums (channel D: Σ P) to the strip, then each output channel.
//#unroll F {{NF}}
  subgroupMatrixStore(&sm, ST + {{F}}u * 16u, o{{F}}, false, SO);
//#end
  workgroupBarrier();
  for (var t = lane; t < 16u * D; t += sgSize) {
    let r = t / D;
    let e = t % D;
    let i = q0 + r;
    if (i < seq) {
      let psum = sm[ST + r * SO + D];
      let acc = sm[ST + r * SO + e];
      var o = select(0.0, f32(acc) / f32(psum) * vsc[e].x, psum > 0);
      if ((ABL & 16u) != 0u && e < 6u) {
        // Dump (diagnosis, bench attention '~dump'): the row's own numbers instead of channels 0-5.
        let w = sg * 16u + r;
        var d = array<u32, 6>(
          bitcast<u32>(rowm[w]), bitcast<u32>(rowc[w].x), bitcast<u32>(psum), atomicLoad(&qmax[w]),
          bitcast<u32>(rowc[w].y), bitcast<u32>(sm[ST + r * SO])
        );
        o = bitcast<f32>(d[e]);
      }
      ctx[(base + i) * H + col + e] = o;
    }
  }
}
