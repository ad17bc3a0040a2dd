// The int8 model's integer attention (core/quant int-attention.ts, the same integers): one
// workgroup of WG invocations per (QB queries, head, sequence), every key of the sequence in
// workgroup memory (seq <= LMAX). First the head's K range and V's channel ranges over the
// unmasked keys (atomicMax on the bits of |x|, which order like the values), then their codes into
// workgroup memory (K: a key's D4 code words; V transposed: a channel's words of four keys), then
// each invocation one query: its codes (per token and head), the largest integer score over the
// unmasked keys (dot4I8Packed), then for each group of four keys their softmax codes
// P = round(127 exp(x)), x = f32(n * c) (exp's estimate moved to the table's code by one
// comparison each way: SOFTMAX_T, the CPU's thresholds), packed as a word and multiplied into
// every channel's sum with dot4I8Packed; ctx = f32(sum) / f32(Σ P) * V's channel scale.
// Per-query loops over the head's values written out (//#unroll: the sums and codes stay in
// registers). Prepended: consts H, D, D4 (= ceil(D / 4)), WG, S (invocations a query: 1, 2 or 4), QB = WG / S,
// PARTIAL, LMAX (a multiple of 4), G (= LMAX / 4), STRIDE,
// QO, KO, VO, the SOFTMAX_T table (array<u32, 128> of f32 bits), int8-scale.wgsl and
// attention-int8-common.wgsl (softmax_code, keyInit, keyRanges, keyScales).

struct Params { seq: u32, scale: f32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
/** attention_mask, [tokens]: 0 = padding. */
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;

var<workgroup> kc: array<u32, LMAX * D4>;
var<workgroup> vt: array<u32, D * (G + 1u)>; // channel e's quads at e * (G + 1): no bank conflicts
/** With S > 1: the splits' largest scores, then (PARTIAL = (S - 1) * QB * (D + 1), else 1) the
 *  sums of splits 1.. for split 0. */
var<workgroup> splitMax: array<i32, WG>;
var<workgroup> partial: array<i32, PARTIAL>;

fn score(qw: array<u32, D4>, j: u32) -> i32 {
  var s = 0;
//#unroll C {{D4}}
  s += dot4I8Packed(qw[{{C}}], kc[j * D4 + {{C}}u]);
//#end
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let seq = p.seq;
  let b = wid.z;
  let col = wid.y * D;
  let base = b * seq;
  keyInit(lid, WG, seq, base);
  workgroupBarrier();
  keyRanges(lid, WG, seq, base, col);
  workgroupBarrier();
  let ks = keyScales(lid, WG);
  workgroupBarrier();
  // Codes: K by key (zero words for masked keys and past the sequence), V by channel and key quad.
  for (var t = lid; t < LMAX * D4; t += WG) {
    let j = t / D4;
    let c = t % D4;
    var w = 0u;
    if (live[j] != 0u) {
      for (var e = 0u; e < 4u; e++) {
        if (4u * c + e < D) { w |= code(k[(base + j) * STRIDE + KO + col + 4u * c + e], ks.y) << (8u * e); }
      }
    }
    kc[t] = w;
  }
  for (var t = lid; t < D * G; t += WG) {
    let e = t % D; // neighbouring invocations: neighbouring floats of the same keys
    let g = t / D;
    var w = 0u;
    for (var r = 0u; r < 4u; r++) {
      let j = 4u * g + r;
      if (live[j] != 0u) { w |= code(v[(base + j) * STRIDE + VO + col + e], vsc[e].y) << (8u * r); }
    }
    vt[e * (G + 1u) + g] = w;
  }
  workgroupBarrier();
  // One query per S invocations (split s of S takes keys s, s + S, ... and key quads alike; rows
  // past the end compute a copy of the last row, never stored).
  let slot = lid % QB;
  let split = lid / QB;
  let i = wid.x * QB + slot;
  let row = base + min(i, seq - 1u);
  var qa = 0.0;
  for (var e = 0u; e < D; e++) { qa = max(qa, abs(q[row * STRIDE + QO + col + e])); }
  let qs = rowScale(qa);
  var qw: array<u32, D4>;
//#unroll C {{D4}}
//#unroll E 4
  if ({{C}}u * 4u + {{E}}u < D) {
    qw[{{C}}] |= code(q[row * STRIDE + QO + col + {{C}}u * 4u + {{E}}u], qs.y) << ({{E}}u * 8u);
  }
//#end
//#end
  // c = f32(f32(sq * sk) * scale), the first product rounded first (XOR with a run-time zero): the
  // matrix form, which computes it in a loop, got ks.x * scale multiplied first on the H200.
  let cf = bitcast<f32>(bitcast<u32>(qs.x * ks.x) ^ (seq >> 31u)) * p.scale;
  var mx = -2147483647;
  for (var j = split; j < seq; j += S) {
    if (live[j] != 0u) { mx = max(mx, score(qw, j)); }
  }
  if (S > 1u) {
    splitMax[lid] = mx;
    workgroupBarrier();
    for (var t = 0u; t < S; t++) { mx = max(mx, splitMax[t * QB + slot]); }
  }
  var acc: array<i32, D>;
  var psum = 0u;
  let groups = (seq + 3u) / 4u;
  for (var g = split; g < groups; g += S) {
    var pw = 0u;
    for (var r = 0u; r < 4u; r++) {
      let j = 4u * g + r;
      if (j < seq && live[j] != 0u) {
        let pc = softmax_code(f32(score(qw, j) - mx) * cf);
        psum += pc;
        pw |= pc << (8u * r);
      }
    }
//#unroll E {{D}}
    acc[{{E}}] += dot4I8Packed(pw, vt[{{E}}u * (G + 1u) + g]);
//#end
  }
  if (S > 1u) {
    // Splits 1.. hand their sums to split 0.
    if (split > 0u) {
      let at = ((split - 1u) * QB + slot) * (D + 1u);
//#unroll E {{D}}
      partial[at + {{E}}u] = acc[{{E}}];
//#end
      partial[at + D] = i32(psum);
    }
    workgroupBarrier();
    if (split > 0u) { return; }
    for (var t = 1u; t < S; t++) {
      let at = ((t - 1u) * QB + slot) * (D + 1u);
//#unroll E {{D}}
      acc[{{E}}] += partial[at + {{E}}u];
//#end
      psum += u32(partial[at + D]);
    }
  }
  if (i < seq) {
//#unroll E {{D}}
    ctx[(base + i) * H + col + {{E}}u] = select(0.0, f32(acc[{{E}}]) / f32(psum) * vsc[{{E}}u].x, psum > 0u);
//#end
  }
}
