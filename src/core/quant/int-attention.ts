// Multi-head attention in integer arithmetic (the int8 model's optional attention; the WGSL
// int8 attention kernel computes exactly these integers): per sequence and head,
//   Q codes per token (its d values' largest |q|), K codes over the sequence's unmasked keys (one
//   scale for the head), V codes per channel over the unmasked keys (one scale a channel);
//   score_ij = Σ_e qc_ie kc_je (exact integer), n_ij = score_ij - max_j score_ij (<= 0);
//   x_ij = f32(n_ij * c_i), c_i = f32(f32(sq_i * sk) * f32(1 / sqrt(d)));
//   P_ij = round(127 exp(x_ij)) in 0..127, defined by the f32 thresholds SOFTMAX_THRESHOLDS
//   (P = the number of k in 1..127 with x >= T[k]), so that every implementation gets the same
//   codes without agreeing on exp;
//   ctx_ie = f32(f32(Σ_j P_ij vc_je / Σ_j P_ij) * sv_e) (integer sums; the division and the scale
//   in f32: a GPU's division may differ from this one by an ulp or two).
// Masked keys take no part (no weight, not in the K and V ranges). Scales and codes are
// quantize.ts's (scalePair, quantizeValue), as the linears' activations.
import type { AttentionFn } from '../model/reference-forward';
import { quantizeValue, scalePair } from './quantize';

const f32 = Math.fround;

/** P's largest code (the row's largest score). */
export const SOFTMAX_QMAX = 127;

/** T[k] (k = 1..127): the least f32 >= ln((k - 1/2) / 127), so that for an f32 x <= 0,
 *  x >= T[k] exactly when round(127 exp(x)) >= k (up to how ln is rounded here, which the table
 *  fixes for every implementation). T[0] = -Infinity. */
export const SOFTMAX_THRESHOLDS: Float32Array = (() => {
  const t = new Float32Array(SOFTMAX_QMAX + 1);
  t[0] = -Infinity;
  const bits = new Int32Array(t.buffer);
  for (let k = 1; k <= SOFTMAX_QMAX; k++) {
    const v = Math.log((k - 0.5) / SOFTMAX_QMAX);
    t[k] = v;
    if (t[k] < v) bits[k] -= 1; // negative: one ulp towards zero is the next f32 up
  }
  return t;
})();

/** P's code of x = f32(n * c) (x <= 0): how many thresholds T[1..127] it reaches. */
export function softmaxCode(x: number): number {
  let c = 0;
  for (let step = 64; step >= 1; step >>= 1)
    if (c + step <= SOFTMAX_QMAX && x >= SOFTMAX_THRESHOLDS[c + step]) c += step;
  return c;
}

/** One query row's numbers (intAttention's `trace`): |q|'s range, c, the largest live score, Σ P,
 *  and channel 0's integer sum Σ P·V. */
export interface IntAttentionRow {
  qa: number;
  qinv: number;
  c: number;
  max: number;
  psum: number;
  acc0: number;
}

/** The integer attention of q, k, v ([batch * seq, hidden] each, heads of hidden / heads):
 *  referenceAttention's signature (reference-forward.ts AttentionFn); `trace` sees every query
 *  row's numbers (a diagnosis aid: bench attention's '~dump'). */
export const intAttention = (
  ...[q, k, v, mask, batch, seq, hidden, heads, trace]: [
    ...Parameters<AttentionFn>,
    trace?: (b: number, h: number, i: number, row: IntAttentionRow) => void,
  ]
): Float32Array => {
  const d = hidden / heads;
  const scale = f32(1 / Math.sqrt(d));
  const ctx = new Float32Array(batch * seq * hidden);
  const kc = new Int8Array(seq * d);
  const vc = new Int8Array(seq * d);
  const sv = new Float32Array(d);
  const qc = new Int8Array(d);
  const scores = new Int32Array(seq);
  const p = new Int32Array(seq);
  const acc = new Float64Array(d);
  for (let b = 0; b < batch; b++) {
    const live = (j: number) => mask[b * seq + j] !== 0;
    for (let h = 0; h < heads; h++) {
      const at = (j: number, e: number) => (b * seq + j) * hidden + h * d + e;
      // K: one range for the head; V: one a channel; over the unmasked keys.
      let ka = 0;
      const va = new Float64Array(d);
      for (let j = 0; j < seq; j++) {
        if (!live(j)) continue;
        for (let e = 0; e < d; e++) {
          ka = Math.max(ka, Math.abs(k[at(j, e)]));
          va[e] = Math.max(va[e], Math.abs(v[at(j, e)]));
        }
      }
      const ks = scalePair(ka, 8);
      const vs = Array.from(va, (a) => scalePair(a, 8));
      for (let e = 0; e < d; e++) sv[e] = vs[e].scale;
      for (let j = 0; j < seq; j++) {
        for (let e = 0; e < d; e++) {
          kc[j * d + e] = live(j) ? quantizeValue(k[at(j, e)], ks.inv, 127) : 0;
          vc[j * d + e] = live(j) ? quantizeValue(v[at(j, e)], vs[e].inv, 127) : 0;
        }
      }
      for (let i = 0; i < seq; i++) {
        let qa = 0;
        for (let e = 0; e < d; e++) qa = Math.max(qa, Math.abs(q[at(i, e)]));
        const qs = scalePair(qa, 8);
        for (let e = 0; e < d; e++) qc[e] = quantizeValue(q[at(i, e)], qs.inv, 127);
        const c = f32(f32(qs.scale * ks.scale) * scale);
        let max = -Infinity;
        for (let j = 0; j < seq; j++) {
          if (!live(j)) continue;
          let s = 0;
          for (let e = 0; e < d; e++) s += qc[e] * kc[j * d + e];
          scores[j] = s;
          if (s > max) max = s;
        }
        let psum = 0;
        acc.fill(0);
        for (let j = 0; j < seq; j++) {
          p[j] = live(j) ? softmaxCode(f32((scores[j] - max) * c)) : 0;
          psum += p[j];
          if (p[j] !== 0) for (let e = 0; e < d; e++) acc[e] += p[j] * vc[j * d + e];
        }
        for (let e = 0; e < d; e++) ctx[at(i, e)] = psum > 0 ? f32(f32(acc[e] / psum) * sv[e]) : 0;
        trace?.(b, h, i, { qa: f32(qa), qinv: qs.inv, c, max, psum, acc0: acc[0] });
      }
    }
  }
  return ctx;
};
