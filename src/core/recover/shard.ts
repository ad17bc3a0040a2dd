// One share of the calibration tokens in a sequential reconstruction (sequential.ts): its batches'
// streams through the pruned encoder (and the dense one, for dense targets), stage by stage. A
// stage's sums (H = Xᵀ X, Xᵀ Y, token counts) are linear in the tokens, so shards on other threads
// (workers) can each sum their own tokens and the run adds the partial sums before it solves: the
// forward passes and sums, nearly all of the time, then run on every core. Plain data in and out,
// so a worker can hold a shard behind postMessage.
import { PRUNABLE_KINDS, type BertModel, type EncoderLayer, type Linear, type PrunableKind } from '../model/bert-types';
import {
  attentionContext,
  attentionOutput,
  ffnHidden,
  ffnOutput,
  type AttentionFn,
  type EncoderBatch,
  type LinearStep,
} from '../model/reference-forward';
import { fastGelu, gemmAttention } from './fast-forward';
import { CrossAccumulator, GramAccumulator, type CrossBlock } from './gram';
import { MaskedLinear } from './masked-linear';
import { chooseMethod, keptColumns, rowGroups, type RecoverMethod } from './reconstruct';
import { Gemm } from './wasm-gemm';

/** The stages of a layer: which linears read the stage's input. */
export const STAGES: PrunableKind[][] = [['q', 'k', 'v'], ['attnOut'], ['ffnIn'], ['ffnOut']];

export interface ShardOptions {
  /** The solver asked for ('auto' or absent: chosen per matrix). */
  method?: RecoverMethod;
  targets?: 'self' | 'dense';
  residual?: boolean;
  /** Sum the inputs and targets too (the intercept column of bias fitting). */
  sums?: boolean;
}

/** What a shard starts from: the model (its encoder layers and config; the embeddings are not
 *  read), the masks (prunableLinears order), its batches and their embedded inputs. */
export interface ShardInit {
  model: BertModel;
  masks: Uint8Array[];
  batches: EncoderBatch[];
  /** referenceEmbed of each batch. */
  inputs: Float32Array[];
  options: ShardOptions;
}

/** A stage's sums over one shard's tokens. */
export interface StageSums {
  tokens: number;
  /** H = Xᵀ X (d x d, symmetric; with kept sets only their entries and the diagonal). */
  gram: Float64Array;
  /** Σ_t x_t (with `sums`). */
  inputSum: Float64Array;
  /** Dense targets: Xᵀ Y and Σ_t (y_t - b) for each linear of the stage. */
  cross: Array<{ cross: Float64Array; targetSum: Float64Array }>;
}

/** The solved weights of one linear of the stage. */
export interface StageWeights {
  weight: Float32Array;
  bias: Float32Array;
}

/** A shard as the run sees it: here or behind a worker. */
export interface ShardLike {
  accumulate(layer: number, stage: number): StageSums | Promise<StageSums>;
  advance(layer: number, stage: number, weights: StageWeights[]): void | Promise<void>;
}

/** The buffers of a stage's sums, to transfer to the run rather than copy. */
export function sumsBuffers(sums: StageSums): ArrayBuffer[] {
  const arrays = [sums.gram, sums.inputSum, ...sums.cross.flatMap((c) => [c.cross, c.targetSum])];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** Starts one more shard elsewhere (a worker): it gets its batches and their embedded inputs. */
export type ShardSpawner = (init: ShardInit) => Promise<ShardLike & { close(): void }>;

/** What a stage's linears need from the masks: solver, row groups, and which sums to form. */
export interface StagePlan {
  kinds: PrunableKind[];
  /** prunableLinears indices. */
  indices: number[];
  methods: Array<Exclude<RecoverMethod, 'auto'>>;
  groups: CrossBlock[][];
  /** Dense targets with every solver grouped: H only within the groups' kept sets. */
  keptSets?: ArrayLike<number>[];
}

export function stagePlan(model: BertModel, masks: Uint8Array[], li: number, s: number, o: ShardOptions): StagePlan {
  const layer = model.layers[li];
  const dense = o.targets === 'dense';
  const kinds = STAGES[s];
  const indices = kinds.map((kind) => li * PRUNABLE_KINDS.length + PRUNABLE_KINDS.indexOf(kind));
  const methods = kinds.map((kind, i) =>
    o.method && o.method !== 'auto'
      ? o.method
      : chooseMethod(masks[indices[i]], layer[kind].out, layer[kind].in, dense),
  );
  const groups = kinds.map((kind, i) => keptGroups(masks[indices[i]], layer[kind].out, layer[kind].in));
  // The row-group solver reads only the kept entries of Xᵀ Y and of H with dense targets.
  const keptSets = dense && methods.every((m) => m === 'grouped') ? groups.flat().map((g) => g.cols) : undefined;
  return { kinds, indices, methods, groups, keptSets };
}

export class RecoveryShard implements ShardLike {
  private readonly gemm = new Gemm(); // one WebAssembly memory for every product of this shard
  private readonly attention: AttentionFn;
  private readonly real: Array<(row: number) => boolean>;
  /** The reconstructed linears, as the forward runs them; the dense ones, packed once. */
  private readonly pruned = new Map<Linear, MaskedLinear>();
  private readonly denseLinears = new Map<Linear, MaskedLinear>();
  private layer!: EncoderLayer;
  // The streams: layer input, attention context, attention output, FFN hidden; dense model's (d).
  private x: Float32Array[];
  private ctx: Float32Array[] = [];
  private a: Float32Array[] = [];
  private f: Float32Array[] = [];
  private xd: Float32Array[];
  private ctxd: Float32Array[] = [];
  private ad: Float32Array[] = [];
  private fd: Float32Array[] = [];
  /** The dense stage's output and the stage's plan, waiting for advance(). */
  private nextDense: Float32Array[] = [];
  private plan?: StagePlan;

  constructor(private readonly init: ShardInit) {
    this.attention = gemmAttention(this.gemm);
    this.real = init.batches.map((b) => (row: number) => b.attentionMask[row] !== 0);
    this.x = this.xd = init.inputs;
  }

  private rows(b: number): number {
    return this.init.batches[b].batch * this.init.batches[b].seq;
  }

  accumulate(li: number, s: number): StageSums {
    const { model, masks, batches, options } = this.init;
    if (s === 0) this.layer = { ...model.layers[li] }; // its linears are replaced stage by stage
    const plan = (this.plan = stagePlan(model, masks, li, s, options));
    const inputs = [this.x, this.ctx, this.a, this.f][s];
    const d = this.layer[plan.kinds[0]].in;
    const gram = new GramAccumulator(d, this.gemm, plan.keptSets, options.sums === true);
    inputs.forEach((input, b) => gram.add(input, this.rows(b), this.real[b]));
    const sums: StageSums = { tokens: gram.tokens, gram: gram.matrix(), inputSum: gram.sum, cross: [] };
    if (options.targets !== 'dense') return sums;
    // The dense stage, its linears' outputs recorded for Xᵀ Y.
    const recorded = new Map<Linear, Float32Array[]>();
    const denseInputs = [this.xd, this.ctxd, this.ad, this.fd][s];
    this.nextDense = denseInputs.map((input, b) =>
      runStage(s, model, model.layers[li], batches[b], input, this.xd[b], this.ad[b], this.attention, (v, l) => {
        if (!this.denseLinears.has(l))
          this.denseLinears.set(l, new MaskedLinear(l.weight, undefined, l.out, l.in, l.bias, this.gemm));
        const y = this.denseLinears.get(l)!.apply(v, this.rows(b));
        // A copy: the stage goes on in place on y (residual + LayerNorm, GELU).
        recorded.set(l, [...(recorded.get(l) ?? []), y.slice()]);
        return y;
      }),
    );
    plan.kinds.forEach((kind, k) => {
      const dense = model.layers[li][kind];
      // The residual this linear's output is added to: the layer input (attnOut), the attention
      // output (ffnOut); the dense stream's minus the pruned one's.
      const residual =
        options.residual && (s === 1 || s === 3)
          ? (b: number) => [s === 1 ? this.xd[b] : this.ad[b], s === 1 ? this.x[b] : this.a[b]] as const
          : undefined;
      const blocks = plan.methods[k] === 'grouped' ? crossBlocks(plan.groups[k], dense.out, dense.in) : undefined;
      const acc = new CrossAccumulator(dense.in, dense.out, blocks, this.gemm, options.sums === true);
      inputs.forEach((xp, b) => {
        const y = recorded.get(dense)![b];
        if (residual) {
          const [rd, rp] = residual(b);
          for (let i = 0; i < y.length; i++) y[i] += rd[i] - rp[i];
        }
        acc.add(xp, y, this.rows(b), this.real[b], dense.bias);
      });
      sums.cross.push({ cross: acc.matrix(), targetSum: acc.targetSum });
    });
    return sums;
  }

  advance(li: number, s: number, weights: StageWeights[]): void {
    const { model, masks, batches } = this.init;
    const plan = this.plan ?? stagePlan(model, masks, li, s, this.init.options);
    plan.kinds.forEach((kind, k) => {
      const dense = model.layers[li][kind];
      const { weight, bias } = weights[k];
      this.layer[kind] = { ...dense, weight, bias };
      this.pruned.set(
        this.layer[kind],
        new MaskedLinear(weight, masks[plan.indices[k]], dense.out, dense.in, bias, this.gemm),
      );
    });
    // Run the batches through the reconstructed stage (and the dense one's output moves on).
    const inputs = [this.x, this.ctx, this.a, this.f][s];
    const next = inputs.map((input, b) =>
      runStage(s, model, this.layer, batches[b], input, this.x[b], this.a[b], this.attention, (v, l) =>
        this.pruned.get(l)!.apply(v, this.rows(b)),
      ),
    );
    if (s === 0) [this.ctx, this.ctxd] = [next, this.nextDense];
    else if (s === 1) [this.a, this.ad] = [next, this.nextDense];
    else if (s === 2) [this.f, this.fd] = [next, this.nextDense];
    else [this.x, this.xd] = [next, this.nextDense];
    this.nextDense = [];
  }
}

/** Stage `s` of a layer on one batch: its input, the layer input `x` and attention output `a`
 *  (the residuals), the linears run by `linear`. */
function runStage(
  s: number,
  model: BertModel,
  layer: EncoderLayer,
  batch: EncoderBatch,
  input: Float32Array,
  x: Float32Array,
  a: Float32Array | undefined,
  attention: AttentionFn,
  linear: LinearStep,
): Float32Array {
  if (s === 0) return attentionContext(model, layer, input, batch, linear, attention);
  if (s === 1) return attentionOutput(model, layer, input, x, linear);
  if (s === 2) return ffnHidden(layer, input, linear, fastGelu);
  return ffnOutput(model, layer, input, a!, linear);
}

/** The mask's row groups: rows [start, end) keep the input columns `cols`. */
function keptGroups(mask: Uint8Array, out: number, n: number): CrossBlock[] {
  return rowGroups(mask, out, n).map(([start, end]) => ({ start, end, cols: keptColumns(mask, start, n) }));
}

/** The row groups as blocks of Xᵀ Y, or none (the whole of it) where they would not save work:
 *  each block's columns are padded to 8 (single-row groups: 8 times their products). */
function crossBlocks(groups: CrossBlock[], out: number, n: number): CrossBlock[] | undefined {
  const cost = groups.reduce((c, b) => c + b.cols.length * (b.end - b.start + (b.start % 8) + 8), 0);
  return cost < 0.7 * n * out ? groups : undefined;
}
