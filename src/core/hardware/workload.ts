// The workload every device model consumes: a BERT encoder (any BertConfig) at batch B and
// sequence L, as a list of operators with their FLOPs and bytes. The 24 prunable linears run at
// the pruning configuration's density; attention, softmax, LayerNorm, GELU, embeddings, pooler
// and classifier stay dense (README, Design: only the encoder's linear weights are pruned).
import { PRUNABLE_KINDS, type BertConfig, type PrunableKind } from '../model/bert-types';

/** Pruning patterns of the README's Design section, as named in sweep files. */
export const PATTERNS = ['dense', 'hp', 'tile', 'vector', 'unstructured', 'nm', 'row-balanced'] as const;
export type Pattern = (typeof PATTERNS)[number];

/** How the prunable linears are sparsified. `density` is the kept fraction (1 - sparsity).
 *  Patterns as in core/pruning: tile = whole tiles, row-balanced (HP with k = Tc); vector = k of
 *  Tc columns in every tile (HP with m = all tiles). */
export interface SparsityConfig {
  pattern: Pattern;
  density: number;
  /** Tile rows x columns (hp, tile; vector uses tr as the vector length). */
  tr: number;
  tc: number;
  /** HP: kept fraction of tiles per tile-row (m / tilesPerRow). tile: = density; vector: 1. */
  tileDensity: number;
  /** HP: kept fraction of columns per kept tile (k / tc). vector: = density; tile: 1. */
  vectorDensity: number;
  /** nm: N kept of every M along the input (2:4 runs on sparse tensor cores). */
  nm?: { n: number; m: number };
}

export const DENSE: SparsityConfig = { pattern: 'dense', density: 1, tr: 16, tc: 16, tileDensity: 1, vectorDensity: 1 };

export const TINYBERT_4L_312D: BertConfig = {
  layers: 4,
  hidden: 312,
  heads: 12,
  ffn: 1200,
  vocab: 30522,
  maxPositions: 512,
  typeVocab: 2,
  labels: 2,
  layerNormEps: 1e-12,
};
export const BERT_BASE: BertConfig = {
  layers: 12,
  hidden: 768,
  heads: 12,
  ffn: 3072,
  vocab: 30522,
  maxPositions: 512,
  typeVocab: 2,
  labels: 2,
  layerNormEps: 1e-12,
};

export type OpKind = 'linear' | 'attn-matmul' | 'softmax' | 'layernorm' | 'gelu' | 'residual' | 'embedding';

/** A matrix product y (rows x out) = x (rows x in) W^T, repeated `instances` times. */
export interface MatmulShape {
  rows: number;
  out: number;
  in: number;
  instances: number;
  /** Kept fraction of W (1 for dense products, activations x activations in attention). */
  density: number;
  /** True for the 24 prunable linears. */
  pruned: boolean;
}

export interface Op {
  name: string;
  kind: OpKind;
  /** Encoder layer, -1 for embeddings and the head. */
  layer: number;
  mm?: MatmulShape;
  /** Elements touched by an elementwise/reduction op. */
  elements?: number;
  /** Useful FLOPs (2 per kept multiply-add). */
  flops: number;
  /** FLOPs of the same op without pruning. */
  denseFlops: number;
  /** Weight (or embedding table) values read, dense count; pruned linears: kept count. */
  weightValues: number;
  /** Activation values read + written. */
  activationValues: number;
}

export interface Workload {
  config: BertConfig;
  batch: number;
  seq: number;
  sparsity: SparsityConfig;
  ops: Op[];
}

export function validateSparsity(s: SparsityConfig): void {
  const ok =
    PATTERNS.includes(s.pattern) &&
    s.density > 0 &&
    s.density <= 1 &&
    Number.isInteger(s.tr) &&
    s.tr >= 1 &&
    s.tr <= 256 &&
    Number.isInteger(s.tc) &&
    s.tc >= 1 &&
    s.tc <= 256 &&
    s.tileDensity > 0 &&
    s.tileDensity <= 1 &&
    s.vectorDensity > 0 &&
    s.vectorDensity <= 1;
  if (!ok) throw new RangeError(`invalid sparsity config ${JSON.stringify(s)}`);
}

// Elementwise FLOPs per element (why: max + sub + exp + sum + div; mean + var + normalise +
// scale/shift; tanh-GELU polynomial). Small next to the matrix products; they matter for bytes.
const SOFTMAX_FLOPS = 5;
const LAYERNORM_FLOPS = 8;
const GELU_FLOPS = 8;

function matmulOp(name: string, kind: OpKind, layer: number, mm: MatmulShape): Op {
  const macs = mm.rows * mm.out * mm.in * mm.instances;
  return {
    name,
    kind,
    layer,
    mm,
    flops: 2 * macs * mm.density,
    denseFlops: 2 * macs,
    weightValues: (kind === 'linear' ? mm.out * mm.in * mm.density : mm.out * mm.in) * mm.instances,
    activationValues: mm.instances * mm.rows * (mm.in + mm.out),
  };
}

function elementwise(
  name: string,
  kind: OpKind,
  layer: number,
  elements: number,
  flopsPerElement: number,
  reads = 1,
): Op {
  return {
    name,
    kind,
    layer,
    elements,
    flops: elements * flopsPerElement,
    denseFlops: elements * flopsPerElement,
    weightValues: 0,
    activationValues: elements * (reads + 1),
  };
}

export function validateConfig(c: BertConfig, batch: number, seq: number): void {
  const ints = [c.layers, c.hidden, c.heads, c.ffn, c.vocab, c.maxPositions, c.labels, batch, seq];
  if (!ints.every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError('model dimensions, batch and sequence must be positive integers');
  if (c.hidden % c.heads !== 0) throw new RangeError(`hidden ${c.hidden} is not a multiple of heads ${c.heads}`);
  if (seq > c.maxPositions) throw new RangeError(`sequence ${seq} exceeds the model's ${c.maxPositions} positions`);
}

/** The operators of one forward pass of B sequences of length L. */
export function bertWorkload(
  config: BertConfig,
  batch: number,
  seq: number,
  sparsity: SparsityConfig = DENSE,
): Workload {
  validateConfig(config, batch, seq);
  validateSparsity(sparsity);
  const { hidden: h, heads, ffn } = config;
  const n = batch * seq;
  const dh = h / heads;
  const d = sparsity.density;
  const ops: Op[] = [];
  const emb = elementwise('embeddings', 'embedding', -1, n * h, 2, 3);
  emb.weightValues = 3 * n * h; // three gathered table rows per token
  ops.push(emb, elementwise('embeddings.ln', 'layernorm', -1, n * h, LAYERNORM_FLOPS));
  const shapes: Record<PrunableKind, [number, number]> = {
    q: [h, h],
    k: [h, h],
    v: [h, h],
    attnOut: [h, h],
    ffnIn: [ffn, h],
    ffnOut: [h, ffn],
  };
  const lin = (l: number, kind: PrunableKind) => {
    const [out, inn] = shapes[kind];
    ops.push(
      matmulOp(`layer.${l}.${kind}`, 'linear', l, { rows: n, out, in: inn, instances: 1, density: d, pruned: true }),
    );
  };
  for (let l = 0; l < config.layers; l++) {
    for (const kind of PRUNABLE_KINDS.slice(0, 3)) lin(l, kind);
    // Q K^T per (sequence, head): rows = queries, "weights" = keys (seq x dh).
    ops.push(
      matmulOp(`layer.${l}.qk`, 'attn-matmul', l, {
        rows: seq,
        out: seq,
        in: dh,
        instances: batch * heads,
        density: 1,
        pruned: false,
      }),
    );
    ops.push(elementwise(`layer.${l}.softmax`, 'softmax', l, batch * heads * seq * seq, SOFTMAX_FLOPS));
    // P V per (sequence, head): rows = queries, "weights" = V^T (dh x seq).
    ops.push(
      matmulOp(`layer.${l}.av`, 'attn-matmul', l, {
        rows: seq,
        out: dh,
        in: seq,
        instances: batch * heads,
        density: 1,
        pruned: false,
      }),
    );
    lin(l, 'attnOut');
    ops.push(elementwise(`layer.${l}.residual1`, 'residual', l, n * h, 1, 2));
    ops.push(elementwise(`layer.${l}.ln1`, 'layernorm', l, n * h, LAYERNORM_FLOPS));
    lin(l, 'ffnIn');
    ops.push(elementwise(`layer.${l}.gelu`, 'gelu', l, n * ffn, GELU_FLOPS));
    lin(l, 'ffnOut');
    ops.push(elementwise(`layer.${l}.residual2`, 'residual', l, n * h, 1, 2));
    ops.push(elementwise(`layer.${l}.ln2`, 'layernorm', l, n * h, LAYERNORM_FLOPS));
  }
  // Pooler and classifier act on the [CLS] token of each sequence only; never pruned.
  ops.push(matmulOp('pooler', 'linear', -1, { rows: batch, out: h, in: h, instances: 1, density: 1, pruned: false }));
  ops.push(
    matmulOp('classifier', 'linear', -1, {
      rows: batch,
      out: config.labels,
      in: h,
      instances: 1,
      density: 1,
      pruned: false,
    }),
  );
  return { config, batch, seq, sparsity, ops };
}

export function totalFlops(w: Workload): number {
  return w.ops.reduce((a, op) => a + op.flops, 0);
}
export function totalDenseFlops(w: Workload): number {
  return w.ops.reduce((a, op) => a + op.denseFlops, 0);
}
