// The whole classifier's loss and gradient in float64, composed from core/train's reference
// ops, packed in a ParamLayout: what one GPU training step must compute (tests only).
import type { BertModel, Linear } from '../../src/core/model/bert-types';
import { encodeHP } from '../../src/core/formats/hp';
import type { ParamLayout, Segment } from '../../src/core/train/param-layout';
import {
  attentionBackward,
  attentionForward,
  gelu64,
  geluGrad64,
  layerNormBackward,
  layerNormForward,
  linearBackward,
  linearForward,
  lossForwardBackward,
  type LossOptions,
  type Vec,
} from '../../src/core/train/reference-backward';

export interface RefBatch {
  inputIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
  batch: number;
  seq: number;
  labels: number[];
  teacher: Float32Array | null;
}

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]);

/** Hidden-state distillation: per layer the teacher's outputs [tokens, hidden] and the weight of
 *  the MSE (mean over real tokens and features, summed over layers). */
export interface RefHiddenTargets {
  targets: ArrayLike<number>[];
  weight: number;
}

export function referenceLossAndGrad(
  model: BertModel,
  layout: ParamLayout,
  b: RefBatch,
  loss: LossOptions,
  trainLN = true,
  hidden?: RefHiddenTargets,
): { loss: number; grad: Float64Array; hiddenLoss: number } {
  const { hidden: H, heads, layerNormEps: eps } = model.config;
  const T = b.batch * b.seq;
  const s = { batch: b.batch, seq: b.seq, hidden: H, heads };
  const grad = new Float64Array(layout.total);
  const put = (seg: Segment, v: ArrayLike<number>) => grad.set(v, seg.offset);
  const fwd = (l: Linear, x: Vec, rows: number) => linearForward(x, rows, f64(l.weight), f64(l.bias), l.out, l.in);
  const bwd = (l: Linear, dy: Vec, x: Vec, rows: number): Vec => {
    const t = layout.linears.get(l.name)!;
    const mask = t.pruned ? Uint8Array.from(l.weight, (w) => (w !== 0 ? 1 : 0)) : undefined;
    const r = linearBackward(dy, x, rows, f64(l.weight), l.out, l.in, mask);
    put(t.values, encodeHP(Float32Array.from(r.dw), t.hp, t.hp.tileCol, t.hp.colOff).values);
    put(t.bias, r.db);
    return r.dx;
  };
  const e = model.embeddings;
  const emb = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < H; i++)
      emb[t * H + i] =
        e.word[b.inputIds[t] * H + i] + e.position[(t % b.seq) * H + i] + e.tokenType[b.tokenTypeIds[t] * H + i];
  }
  let x = layerNormForward(emb, H, f64(e.ln.gamma), f64(e.ln.beta), eps).y;
  const saved = model.layers.map((layer) => {
    const xin = x;
    const q = fwd(layer.q, xin, T),
      k = fwd(layer.k, xin, T),
      v = fwd(layer.v, xin, T);
    const att = attentionForward(q, k, v, b.attentionMask, s);
    const ln1 = layerNormForward(
      add(fwd(layer.attnOut, att.ctx, T), xin),
      H,
      f64(layer.ln1.gamma),
      f64(layer.ln1.beta),
      eps,
    );
    const fpre = fwd(layer.ffnIn, ln1.y, T);
    const fpost = fpre.map(gelu64);
    const ln2 = layerNormForward(
      add(fwd(layer.ffnOut, fpost, T), ln1.y),
      H,
      f64(layer.ln2.gamma),
      f64(layer.ln2.beta),
      eps,
    );
    x = ln2.y;
    return { xin, q, k, v, att, ln1, fpre, fpost, ln2 };
  });
  const cls = new Float64Array(b.batch * H);
  for (let i = 0; i < b.batch; i++) cls.set(x.subarray(i * b.seq * H, i * b.seq * H + H), i * H);
  const pooled = model.pooler ? fwd(model.pooler, cls, b.batch).map(Math.tanh) : cls;
  const logits = fwd(model.classifier, pooled, b.batch);
  const lf = lossForwardBackward(logits, b.labels, b.teacher, model.config.labels, loss);
  let dcls = bwd(model.classifier, lf.dlogits, pooled, b.batch);
  if (model.pooler)
    dcls = bwd(
      model.pooler,
      dcls.map((g, i) => g * (1 - pooled[i] ** 2)),
      cls,
      b.batch,
    );
  let dOut = new Float64Array(T * H);
  for (let i = 0; i < b.batch; i++) dOut.set(dcls.subarray(i * H, i * H + H), i * b.seq * H);
  let hiddenLoss = 0;
  let real = 0;
  for (let t = 0; t < T; t++) if (b.attentionMask[t]) real++;
  for (let li = model.layers.length - 1; li >= 0; li--) {
    const layer = model.layers[li],
      sv = saved[li],
      lns = layout.layerNorms[li];
    if (hidden) {
      const c = hidden.weight / (real * H);
      for (let t = 0; t < T; t++) {
        if (!b.attentionMask[t]) continue;
        for (let i = 0; i < H; i++) {
          const d = sv.ln2.y[t * H + i] - hidden.targets[li][t * H + i];
          hiddenLoss += c * d * d;
          dOut[t * H + i] += 2 * c * d;
        }
      }
    }
    const b2 = layerNormBackward(dOut, sv.ln2, H, f64(layer.ln2.gamma));
    if (trainLN) put(lns.ln2, [...b2.dgamma, ...b2.dbeta]);
    const dFpost = bwd(layer.ffnOut, b2.dz, sv.fpost, T);
    const dA = add(
      bwd(
        layer.ffnIn,
        dFpost.map((g, i) => g * geluGrad64(sv.fpre[i])),
        sv.ln1.y,
        T,
      ),
      b2.dz,
    );
    const b1 = layerNormBackward(dA, sv.ln1, H, f64(layer.ln1.gamma));
    if (trainLN) put(lns.ln1, [...b1.dgamma, ...b1.dbeta]);
    const dCtx = bwd(layer.attnOut, b1.dz, sv.att.ctx, T);
    const ab = attentionBackward(dCtx, sv.att.p, sv.q, sv.k, sv.v, s);
    const dq = bwd(layer.q, ab.dq, sv.xin, T),
      dk = bwd(layer.k, ab.dk, sv.xin, T),
      dv = bwd(layer.v, ab.dv, sv.xin, T);
    dOut = dq.map((g, i) => g + dk[i] + dv[i] + b1.dz[i]);
  }
  return { loss: lf.loss, grad, hiddenLoss };
}
