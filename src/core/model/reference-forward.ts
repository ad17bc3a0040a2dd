// A plain TypeScript BERT classifier forward pass over a BertModel, in f32 with f64 sums where
// they matter. It is the CPU ground truth that the WGSL encoder engine (gpu/encoder) is tested
// against, and is itself tested against onnxruntime. Not fast: tests and spot checks only.
import type { BertModel, EncoderLayer, LayerNormParams, Linear } from './bert-types';
import { denseLinear } from '../cpu/linear';

/** B sequences of length L, padded, row-major [B, L]. */
export interface EncoderBatch {
  inputIds: ArrayLike<number>;
  /** 1 for a real token, 0 for padding. Every sequence must attend to at least one token. */
  attentionMask: ArrayLike<number>;
  /** Segment ids; all zero when absent. */
  tokenTypeIds?: ArrayLike<number>;
  batch: number;
  seq: number;
}

/** Checks shapes and id ranges once, with messages that say what is wrong. */
export function validateBatch(model: BertModel, b: EncoderBatch): void {
  const { batch, seq } = b;
  const { vocab, maxPositions, typeVocab } = model.config;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`seq must be a positive integer, got ${seq}`);
  if (seq > maxPositions) throw new RangeError(`seq ${seq} exceeds the model's ${maxPositions} positions`);
  const n = batch * seq;
  for (const [name, arr] of [
    ['inputIds', b.inputIds],
    ['attentionMask', b.attentionMask],
    ['tokenTypeIds', b.tokenTypeIds],
  ] as const) {
    if (arr && arr.length !== n) throw new RangeError(`${name} has ${arr.length} entries, expected batch*seq = ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const id = b.inputIds[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab)
      throw new RangeError(`inputIds[${i}] = ${id} is outside the vocabulary [0, ${vocab})`);
    const t = b.tokenTypeIds ? b.tokenTypeIds[i] : 0;
    if (!Number.isInteger(t) || t < 0 || t >= typeVocab)
      throw new RangeError(`tokenTypeIds[${i}] = ${t} is outside [0, ${typeVocab})`);
  }
  for (let s = 0; s < batch; s++) {
    let any = false;
    for (let i = 0; i < seq; i++) any ||= b.attentionMask[s * seq + i] !== 0;
    if (!any) throw new RangeError(`sequence ${s} has an all-zero attention mask`);
  }
}

/** erf to ~1e-7 (Numerical Recipes' erfc Chebyshev fit): GELU(x) = x/2 (1 + erf(x/√2)). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** y[rows x out] = x[rows x in] Wᵀ + b. */
export function referenceLinear(x: Float32Array, rows: number, l: Linear): Float32Array {
  return denseLinear(x, rows, l.weight, l.out, l.in, l.bias);
}

/** In place: each row of x (width h) becomes LayerNorm(row). */
export function referenceLayerNorm(x: Float32Array, h: number, ln: LayerNormParams, eps: number): void {
  for (let o = 0; o < x.length; o += h) {
    let mean = 0;
    for (let i = 0; i < h; i++) mean += x[o + i];
    mean /= h;
    let v = 0;
    for (let i = 0; i < h; i++) v += (x[o + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / h + eps);
    for (let i = 0; i < h; i++) x[o + i] = (x[o + i] - mean) * inv * ln.gamma[i] + ln.beta[i];
  }
}

/** Multi-head scaled dot-product attention; masked keys get zero weight (equal, in f32, to
 *  the additive -10000 / finfo.min masks of exported BERTs). */
export function referenceAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: ArrayLike<number>,
  batch: number,
  seq: number,
  hidden: number,
  heads: number,
): Float32Array {
  const d = hidden / heads;
  const scale = 1 / Math.sqrt(d);
  const ctx = new Float32Array(batch * seq * hidden);
  const p = new Float64Array(seq);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        const qo = (b * seq + i) * hidden + h * d;
        let max = -Infinity;
        for (let j = 0; j < seq; j++) {
          if (mask[b * seq + j] === 0) {
            p[j] = -Infinity;
            continue;
          }
          const ko = (b * seq + j) * hidden + h * d;
          let s = 0;
          for (let e = 0; e < d; e++) s += q[qo + e] * k[ko + e];
          p[j] = s * scale;
          if (p[j] > max) max = p[j];
        }
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += p[j] = p[j] === -Infinity ? 0 : Math.exp(p[j] - max);
        for (let j = 0; j < seq; j++) {
          if (p[j] === 0) continue;
          const w = p[j] / sum;
          const vo = (b * seq + j) * hidden + h * d;
          for (let e = 0; e < d; e++) ctx[qo + e] += w * v[vo + e];
        }
      }
    }
  }
  return ctx;
}

/** Sees the input of every prunable linear (rows x in) as the forward pass reaches it:
 *  calibration collects activation statistics through it. */
export type LinearInputObserver = (linear: Linear, input: Float32Array, rows: number) => void;

/** Computes one prunable linear (rows x in -> rows x out): the f32 reference by default, the
 *  integer one for a quantized model (core/quant). */
export type LinearImpl = (linear: Linear, input: Float32Array, rows: number) => Float32Array;

/** Final hidden states [B*L, hidden] of the encoder. */
export function referenceEncode(
  model: BertModel,
  input: EncoderBatch,
  observe?: LinearInputObserver,
  apply?: LinearImpl,
  attention?: AttentionFn,
): Float32Array {
  let x = referenceEmbed(model, input);
  for (const layer of model.layers) x = referenceLayer(model, layer, x, input, observe, apply, attention);
  return x;
}

/** LayerNorm(word + position + token-type embeddings): the first layer's input [B*L, hidden]. */
export function referenceEmbed(model: BertModel, input: EncoderBatch): Float32Array {
  validateBatch(model, input);
  const { hidden, heads, layerNormEps: eps } = model.config;
  if (hidden % heads !== 0) throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const rows = input.batch * input.seq;
  const { word, position, tokenType, ln } = model.embeddings;
  const x = new Float32Array(rows * hidden);
  for (let r = 0; r < rows; r++) {
    const id = input.inputIds[r];
    const t = input.tokenTypeIds ? input.tokenTypeIds[r] : 0;
    const pos = r % input.seq;
    for (let i = 0; i < hidden; i++) {
      x[r * hidden + i] = word[id * hidden + i] + position[pos * hidden + i] + tokenType[t * hidden + i];
    }
  }
  referenceLayerNorm(x, hidden, ln, eps);
  return x;
}

/** Runs one linear on `rows` rows: y = x Wᵀ + b (a caller may observe or replace it). */
export type LinearStep = (x: Float32Array, l: Linear) => Float32Array;

/** One encoder layer: attention, residual + LayerNorm, GELU FFN, residual + LayerNorm. */
export function referenceLayer(
  model: BertModel,
  layer: EncoderLayer,
  x: Float32Array,
  input: EncoderBatch,
  observe?: LinearInputObserver,
  apply?: LinearImpl,
  attention?: AttentionFn,
): Float32Array {
  const rows = input.batch * input.seq;
  const linear: LinearStep = (x, l) => {
    observe?.(l, x, rows);
    return apply ? apply(l, x, rows) : referenceLinear(x, rows, l);
  };
  const a = attentionOutput(model, layer, attentionContext(model, layer, x, input, linear, attention), x, linear);
  return ffnOutput(model, layer, ffnHidden(layer, a, linear), a, linear);
}

// The layer's four stages, one per group of linears that share an input (layer-wise
// reconstruction runs them one at a time over all calibration batches).

/** referenceAttention's signature: another implementation of the same function may stand in. */
export type AttentionFn = typeof referenceAttention;

/** Q, K, V of x, then multi-head attention: the attention output's input [rows, hidden]. */
export function attentionContext(
  model: BertModel,
  layer: EncoderLayer,
  x: Float32Array,
  input: EncoderBatch,
  linear: LinearStep,
  attention: AttentionFn = referenceAttention,
): Float32Array {
  const { hidden, heads } = model.config;
  return attention(
    linear(x, layer.q),
    linear(x, layer.k),
    linear(x, layer.v),
    input.attentionMask,
    input.batch,
    input.seq,
    hidden,
    heads,
  );
}

/** addAndNorm's signature: another implementation of the same function may stand in. */
export type AddNormFn = (
  model: BertModel,
  y: Float32Array,
  residual: Float32Array,
  ln: LayerNormParams,
) => Float32Array;

/** LayerNorm(x + attnOut(ctx)): the FFN's input. */
export function attentionOutput(
  model: BertModel,
  layer: EncoderLayer,
  ctx: Float32Array,
  x: Float32Array,
  linear: LinearStep,
  norm: AddNormFn = addAndNorm,
): Float32Array {
  return norm(model, linear(ctx, layer.attnOut), x, layer.ln1);
}

/** GELU(ffnIn(a)): the FFN output's input [rows, ffn]; `activation` applies GELU in place. */
export function ffnHidden(
  layer: EncoderLayer,
  a: Float32Array,
  linear: LinearStep,
  activation: (f: Float32Array) => void = geluInPlace,
): Float32Array {
  const f = linear(a, layer.ffnIn);
  activation(f);
  return f;
}

function geluInPlace(f: Float32Array): void {
  for (let i = 0; i < f.length; i++) f[i] = gelu(f[i]);
}

/** LayerNorm(a + ffnOut(f)): the layer's output. */
export function ffnOutput(
  model: BertModel,
  layer: EncoderLayer,
  f: Float32Array,
  a: Float32Array,
  linear: LinearStep,
  norm: AddNormFn = addAndNorm,
): Float32Array {
  return norm(model, linear(f, layer.ffnOut), a, layer.ln2);
}

/** LayerNorm(y + residual), in place in `y`: how each sub-block of a layer ends. */
export function addAndNorm(
  model: BertModel,
  y: Float32Array,
  residual: Float32Array,
  ln: LayerNormParams,
): Float32Array {
  for (let i = 0; i < y.length; i++) y[i] += residual[i];
  referenceLayerNorm(y, model.config.hidden, ln, model.config.layerNormEps);
  return y;
}

/** Classifier logits [B, labels]: tanh pooler over [CLS] (when the model has one), then the
 *  classifier (both f32: `apply` covers the encoder's prunable linears only). */
/** `apply` / `attention`: other implementations of the prunable linears / of the attention (the
 *  integer model's, core/quant). */
export function referenceForward(
  model: BertModel,
  input: EncoderBatch,
  apply?: LinearImpl,
  attention?: AttentionFn,
): Float32Array {
  const { hidden } = model.config;
  const x = referenceEncode(model, input, undefined, apply, attention);
  const cls = new Float32Array(input.batch * hidden);
  for (let b = 0; b < input.batch; b++)
    cls.set(x.subarray(b * input.seq * hidden, (b * input.seq + 1) * hidden), b * hidden);
  let features: Float32Array = cls;
  if (model.pooler) {
    features = referenceLinear(cls, input.batch, model.pooler);
    for (let i = 0; i < features.length; i++) features[i] = Math.tanh(features[i]);
  }
  return referenceLinear(features, input.batch, model.classifier);
}
