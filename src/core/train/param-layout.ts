// Where each trainable tensor of a BERT classifier lives in the fine-tuner's one packed f32
// buffer (params, gradients and both AdamW moments share the layout): every linear's stored
// values in the HP layout (pruned layers: only the kept weights; dense ones: denseAsHP), then
// the biases and LayerNorms (not decayed). Each tensor starts on a 64-float (256-byte)
// boundary, so it can be bound on its own (minStorageBufferOffsetAlignment). The embeddings
// stay frozen. After training, `unpackParams` gives the model and its HP matrices back.
import { decodeHP, type HPMatrix } from '../formats/hp';
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import { denseAsHP } from './hp-columns';

export const PARAM_ALIGN = 64;

export interface Segment {
  offset: number;
  length: number;
}

export interface TrainableLinear {
  linear: Linear;
  /** The layout the kernels read: the pruned matrix, or the dense one as HP. */
  hp: HPMatrix;
  /** True when `hp` is the caller's pruned matrix (its mask must be kept). */
  pruned: boolean;
  values: Segment;
  bias: Segment;
}

export interface ParamLayout {
  /** By Linear.name: the 6 per layer, then 'pooler' (when present) and 'classifier'. */
  linears: Map<string, TrainableLinear>;
  /** Per layer: [gamma; beta] of ln1 and ln2. */
  layerNorms: { ln1: Segment; ln2: Segment }[];
  /** Floats in the buffer. */
  total: number;
  /** Indices below this are weight matrices (AdamW decays them). */
  decayEnd: number;
}

const align = (n: number) => Math.ceil(n / PARAM_ALIGN) * PARAM_ALIGN;

/** Linears in training order: layer by layer, then the head. */
function allLinears(model: BertModel): Linear[] {
  return [...prunableLinears(model), ...(model.pooler ? [model.pooler] : []), model.classifier];
}

export function buildParamLayout(model: BertModel, sparse: Map<string, HPMatrix>): ParamLayout {
  let at = 0;
  const take = (length: number): Segment => {
    const s = { offset: at, length };
    at = align(at + length);
    return s;
  };
  const linears = new Map<string, TrainableLinear>();
  for (const l of allLinears(model)) {
    const given = sparse.get(l.name);
    if (given && (given.out !== l.out || given.in !== l.in))
      throw new RangeError(`sparse '${l.name}' is ${given.out}x${given.in}, the model's is ${l.out}x${l.in}`);
    const hp = given ?? denseAsHP(l);
    linears.set(l.name, {
      linear: l,
      hp,
      pruned: Boolean(given),
      values: take(hp.values.length),
      bias: { offset: 0, length: 0 },
    });
  }
  const decayEnd = at;
  for (const t of linears.values()) t.bias = take(t.linear.out);
  const h = model.config.hidden;
  const layerNorms = model.layers.map(() => ({ ln1: take(2 * h), ln2: take(2 * h) }));
  return { linears, layerNorms, total: Math.max(at, PARAM_ALIGN), decayEnd };
}

/** The initial packed parameters. */
export function packParams(model: BertModel, layout: ParamLayout): Float32Array {
  const p = new Float32Array(layout.total);
  for (const t of layout.linears.values()) {
    p.set(t.hp.values, t.values.offset);
    p.set(t.linear.bias, t.bias.offset);
  }
  model.layers.forEach((l, i) => {
    const { ln1, ln2 } = layout.layerNorms[i];
    p.set(l.ln1.gamma, ln1.offset);
    p.set(l.ln1.beta, ln1.offset + l.ln1.gamma.length);
    p.set(l.ln2.gamma, ln2.offset);
    p.set(l.ln2.beta, ln2.offset + l.ln2.gamma.length);
  });
  return p;
}

const slice = (p: Float32Array, s: Segment) => p.slice(s.offset, s.offset + s.length);

/** The model with the trained values (pruned weights zero) and the trained HP matrices. */
export function unpackParams(
  model: BertModel,
  layout: ParamLayout,
  p: Float32Array,
): { model: BertModel; sparse: Map<string, HPMatrix> } {
  const sparse = new Map<string, HPMatrix>();
  const trained = (l: Linear): Linear => {
    const t = layout.linears.get(l.name)!;
    const hp = { ...t.hp, values: slice(p, t.values) };
    if (t.pruned) sparse.set(l.name, hp);
    return { ...l, weight: decodeHP(hp), bias: slice(p, t.bias) };
  };
  const h = model.config.hidden;
  const ln = (s: Segment) => ({
    gamma: p.slice(s.offset, s.offset + h),
    beta: p.slice(s.offset + h, s.offset + 2 * h),
  });
  const out: BertModel = {
    ...model,
    layers: model.layers.map((l, i) => ({
      q: trained(l.q),
      k: trained(l.k),
      v: trained(l.v),
      attnOut: trained(l.attnOut),
      ffnIn: trained(l.ffnIn),
      ffnOut: trained(l.ffnOut),
      ln1: ln(layout.layerNorms[i].ln1),
      ln2: ln(layout.layerNorms[i].ln2),
    })),
    pooler: model.pooler ? trained(model.pooler) : undefined,
    classifier: trained(model.classifier),
  };
  return { model: out, sparse };
}
