// What the integer attention's kernels share (attention-int8.wgsl: dot4, attention-int8-matrix.wgsl:
// subgroup matrices; core/quant int-attention.ts): the softmax codes P = round(127 exp(x)) for
// x <= 0 (softmaxCode: exp's estimate moved to the table's code by one comparison each way;
// SOFTMAX_T, the CPU's f32 thresholds as bits, prepended), and the sequence's live keys with K's
// scale (one for the head) and V's (one a channel) over them: keyInit, barrier, keyRanges,
// barrier, keyScales, barrier. Uses the kernel's bindings k, v, mask and consts D, LMAX, STRIDE,
// KO, VO.

var<workgroup> thresholds: array<f32, 128>;
var<workgroup> live: array<u32, LMAX>;
var<workgroup> kmax: atomic<u32>;
var<workgroup> vmax: array<atomic<u32>, D>;
/** V's channel (scale, inverse scale). */
var<workgroup> vsc: array<vec2<f32>, D>;

/** P's code of x (<= 0): round(127 exp(x)) as the thresholds define it. */
fn softmax_code(x: f32) -> u32 {
  var c = u32(clamp(round(127.0 * exp(x)), 0.0, 127.0));
  if (c < 127u && x >= thresholds[c + 1u]) {
    c += 1u;
  } else if (c > 0u && x < thresholds[c]) {
    c -= 1u;
  }
  return c;
}

/** Fills thresholds and live (keys < seq and unmasked) for the sequence from token base, by the
 *  workgroup's `threads` invocations (tid: this one). */
fn keyInit(tid: u32, threads: u32, seq: u32, base: u32) {
  for (var i = tid; i < 128u; i += threads) { thresholds[i] = bitcast<f32>(SOFTMAX_T[i]); }
  for (var j = tid; j < LMAX; j += threads) { live[j] = select(0u, 1u, j < seq && mask[base + j] != 0u); }
}

/** After keyInit and a barrier: the head's K range (kmax) and V's channel ranges (vmax) over the
 *  live keys, the head at column col, as atomicMax on the bits of |x| (which order like the
 *  values): task t takes key t / W's four channels from 4 (t % W) (W = ceil(D / 4)), so that
 *  neighbours read neighbouring floats and every load of a task is independent of the others. */
fn keyRanges(tid: u32, threads: u32, seq: u32, base: u32, col: u32) {
  const W = (D + 3u) / 4u;
  var km = 0.0;
  for (var t = tid; t < seq * W; t += threads) {
    let j = t / W;
    let c = 4u * (t % W);
    if (live[j] != 0u) {
      let at = (base + j) * STRIDE + col + c;
      for (var e = 0u; e < 4u; e++) {
        if (c + e < D) {
          km = max(km, abs(k[at + KO + e]));
          atomicMax(&vmax[c + e], bitcast<u32>(abs(v[at + VO + e])));
        }
      }
    }
  }
  atomicMax(&kmax, bitcast<u32>(km));
}

/** After keyRanges and a barrier: V's channel scales into vsc; returns K's (scale, inverse). */
fn keyScales(tid: u32, threads: u32) -> vec2<f32> {
  for (var e = tid; e < D; e += threads) { vsc[e] = rowScale(bitcast<f32>(atomicLoad(&vmax[e]))); }
  return rowScale(bitcast<f32>(atomicLoad(&kmax)));
}
