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
import { fastAddNorm, fastGelu, gemmAttention } from './fast-forward';
import { CrossAccumulator, GramAccumulator, type CrossBlock } from './gram';
import { MaskedLinear } from './masked-linear';
import { PhaseTimer, type PhaseTimes } from './phases';
import {
  chooseMethod,
  groupedCost,
  keptColumns,
  reconstructLinear,
  rowGroups,
  type RecoverMethod,
  type ReconstructResult,
} from './reconstruct';
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
  /** The shard's phase times so far (every stage up to this one). */
  phases?: PhaseTimes;
}

/** The solved weights of one linear of the stage. */
export interface StageWeights {
  weight: Float32Array;
  bias: Float32Array;
}

/** A share of a stage's solves: the stage's summed sums and, per linear, the rows [start, end)
 *  to solve (null: none of them). */
export interface SolveTask {
  layer: number;
  stage: number;
  sums: StageSums;
  rows: Array<readonly [number, number] | null>;
  damp?: number;
  /** Fit the biases too (RecoverOptions.bias). */
  bias?: boolean;
}

/** One linear's share of the solution: W' (and the bias) on the share's rows, 0 elsewhere. */
export interface SolvedPart {
  weight: Float32Array;
  bias?: Float32Array;
  method: ReconstructResult['method'];
  factorisations: number;
}

export interface SolveAnswer {
  parts: Array<SolvedPart | null>;
  /** The shard's phase times so far. */
  phases?: PhaseTimes;
}

/** A shard as the run sees it: here or behind a worker. */
export interface ShardLike {
  accumulate(layer: number, stage: number): StageSums | Promise<StageSums>;
  advance(layer: number, stage: number, weights: StageWeights[]): void | Promise<void>;
  solve(task: SolveTask): SolveAnswer | Promise<SolveAnswer>;
}

/** The buffers of a solve answer, to transfer. */
export function answerBuffers(answer: SolveAnswer): ArrayBuffer[] {
  return answer.parts
    .flatMap((p) => (p ? [p.weight, ...(p.bias ? [p.bias] : [])] : []))
    .map((a) => a.buffer as ArrayBuffer);
}

/** Solves a task's rows of each linear of the stage (the same code on every thread). */
export function solveStage(model: BertModel, masks: Uint8Array[], plan: StagePlan, task: SolveTask): SolveAnswer {
  const { sums, damp } = task;
  const parts = plan.kinds.map((kind, k) => {
    const rows = task.rows[k];
    if (!rows) return null;
    const dense = model.layers[task.layer][kind];
    const cross = sums.cross[k];
    const intercept = task.bias
      ? { bias: dense.bias, inputSum: sums.inputSum, tokens: sums.tokens, targetSum: cross?.targetSum }
      : undefined;
    const r = reconstructLinear(
      {
        weight: dense.weight,
        out: dense.out,
        in: dense.in,
        mask: masks[plan.indices[k]],
        gram: sums.gram,
        cross: cross?.cross,
        intercept,
      },
      { damp, method: plan.methods[k], rows },
    );
    return {
      weight: r.weight,
      ...(r.bias ? { bias: r.bias } : {}),
      method: r.method,
      factorisations: r.factorisations,
    };
  });
  return { parts };
}

/** One matrix's solution from the threads' shares: each part's rows [start, end) (and bias
 *  entries) copied into the first part's arrays, where those rows are 0. */
export function joinParts(
  shares: Array<{ rows: readonly [number, number] | null; part: SolvedPart | null }>,
  out: number,
  n: number,
): SolvedPart {
  const given = shares.filter((x) => x.rows && x.part) as Array<{ rows: [number, number]; part: SolvedPart }>;
  const [first, ...rest] = given;
  const joined = { ...first.part, factorisations: given.reduce((f, x) => f + x.part.factorisations, 0) };
  if (rest.length > 0 && first.part.weight.length !== out * n) throw new RangeError('solved part has the wrong size');
  for (const { rows, part } of rest) {
    joined.weight.set(part.weight.subarray(rows[0] * n, rows[1] * n), rows[0] * n);
    if (part.bias) joined.bias!.set(part.bias.subarray(rows[0], rows[1]), rows[0]);
  }
  return joined;
}

/**
 * Which rows of each linear of the stage each of `count` threads solves: the row groups of a
 * grouped matrix dealt out in order so that each thread gets about the same solver cost (the
 * first gets the rest); a matrix for the column sweep (one factor for all its rows) whole to the
 * first thread.
 */
export function shareRows(
  model: BertModel,
  masks: Uint8Array[],
  plan: StagePlan,
  layer: number,
  count: number,
): Array<Array<readonly [number, number] | null>> {
  const shares = Array.from({ length: count }, () => plan.kinds.map((): readonly [number, number] | null => null));
  plan.kinds.forEach((kind, k) => {
    const { out, in: n } = model.layers[layer][kind];
    if (count === 1 || plan.methods[k] !== 'grouped') {
      shares[0][k] = [0, out];
      return;
    }
    const mask = masks[plan.indices[k]];
    const groups = plan.groups[k].map((g): [number, number] => [g.start, g.end]);
    const costs = groups.map((g) => groupedCost([g], mask, n));
    const total = costs.reduce((a, b) => a + b, 0);
    let t = 0;
    let done = 0;
    let start = 0;
    for (let i = 0; i < count; i++) {
      // Thread i takes groups until the running cost reaches (i + 1) / count of the total.
      while (t < groups.length && (i === count - 1 || done + costs[t] / 2 <= ((i + 1) * total) / count))
        done += costs[t++];
      const end = t < groups.length ? groups[t][0] : out;
      if (end > start) shares[i][k] = [start, end];
      start = end;
    }
  });
  return shares;
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

/** Plans already made, per masks array (a run's masks do not change while it runs; the run, the
 *  shards and the solves each ask for every stage's plan, and each scans the masks). */
const plans = new WeakMap<Uint8Array[], Map<string, StagePlan>>();

export function stagePlan(model: BertModel, masks: Uint8Array[], li: number, s: number, o: ShardOptions): StagePlan {
  const known = plans.get(masks) ?? new Map<string, StagePlan>();
  plans.set(masks, known);
  const key = `${li} ${s} ${o.method} ${o.targets}`;
  const plan = known.get(key) ?? makePlan(model, masks, li, s, o);
  known.set(key, plan);
  return plan;
}

function makePlan(model: BertModel, masks: Uint8Array[], li: number, s: number, o: ShardOptions): StagePlan {
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
  private readonly attention: { dense: AttentionFn; pruned: AttentionFn };
  readonly phases = new PhaseTimer();
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
  /** Arrays no stream holds any more, by length, for the linears' outputs: most of what the
   *  forwards allocate is a stage's output replacing the same stage's of the layer before. */
  private readonly pool = new Map<number, Float32Array[]>();
  /** The dense stage's output and the stage's plan, waiting for advance(). */
  private nextDense: Float32Array[] = [];
  private plan?: StagePlan;

  constructor(private readonly init: ShardInit) {
    const attention = gemmAttention(this.gemm);
    const timed =
      (phase: string): AttentionFn =>
      (...args) =>
        this.phases.time(phase, () => attention(...args));
    this.attention = { dense: timed('attention.dense'), pruned: timed('attention.pruned') };
    this.real = init.batches.map((b) => (row: number) => b.attentionMask[row] !== 0);
    this.x = this.xd = init.inputs;
  }

  private rows(b: number): number {
    return this.init.batches[b].batch * this.init.batches[b].seq;
  }

  /** A linear's output array for batch `b`: a recycled one of the right length, or a new one. */
  private output(b: number, out: number): Float32Array {
    const n = this.rows(b) * out;
    return this.pool.get(n)?.pop() ?? new Float32Array(n);
  }

  /** Gives arrays that nothing reads any more back to the pool (each once). */
  private recycle(...lists: Float32Array[][]): void {
    const seen = new Set<Float32Array>();
    for (const a of lists.flat()) {
      if (seen.has(a)) continue;
      seen.add(a);
      const free = this.pool.get(a.length) ?? [];
      free.push(a);
      this.pool.set(a.length, free);
    }
  }

  /** Stage `s` of the batches through `linear` (one stream); the Q, K, V outputs of stage 0 go
   *  back to the pool once the batch's attention has read them. */
  private runBatches(
    s: number,
    layer: EncoderLayer,
    inputs: Float32Array[],
    x: Float32Array[],
    a: Float32Array[],
    attention: AttentionFn,
    linear: (v: Float32Array, l: Linear, b: number, into: Float32Array) => Float32Array,
  ): Float32Array[] {
    const { model, batches } = this.init;
    return inputs.map((input, b) => {
      const made: Float32Array[] = [];
      const next = runStage(s, model, layer, batches[b], input, x[b], a[b], attention, (v, l) => {
        const y = linear(v, l, b, this.output(b, l.out));
        made.push(y);
        return y;
      });
      if (s === 0) this.recycle(made);
      return next;
    });
  }

  accumulate(li: number, s: number): StageSums {
    const { model, masks, options } = this.init;
    if (s === 0) this.layer = { ...model.layers[li] }; // its linears are replaced stage by stage
    const plan = (this.plan = stagePlan(model, masks, li, s, options));
    const inputs = [this.x, this.ctx, this.a, this.f][s];
    const d = this.layer[plan.kinds[0]].in;
    const sums = this.phases.time('gram', () => {
      const gram = new GramAccumulator(d, this.gemm, plan.keptSets, options.sums === true);
      inputs.forEach((input, b) => gram.add(input, this.rows(b), this.real[b]));
      return { tokens: gram.tokens, gram: gram.matrix(), inputSum: gram.sum, cross: [] } as StageSums;
    });
    // 'targets' holds 'forward.dense' and the Xᵀ Y sums.
    if (options.targets === 'dense') this.phases.time('targets', () => this.denseTargets(li, s, plan, sums));
    sums.phases = this.phases.report();
    return sums;
  }

  /** The dense stage, its linears' outputs recorded as targets: their Xᵀ Y into `sums`. */
  private denseTargets(li: number, s: number, plan: StagePlan, sums: StageSums): void {
    const { model, options } = this.init;
    const inputs = [this.x, this.ctx, this.a, this.f][s];
    const denseInputs = [this.xd, this.ctxd, this.ad, this.fd][s];
    // One accumulator per linear of the stage, fed each batch's dense output as it appears (before
    // the stage goes on in place on it: residual + LayerNorm, GELU), with the pruned inputs.
    const accs = new Map(
      plan.kinds.map((kind, k) => {
        const dense = model.layers[li][kind];
        const blocks = plan.methods[k] === 'grouped' ? crossBlocks(plan.groups[k], dense.out, dense.in) : undefined;
        return [dense, new CrossAccumulator(dense.in, dense.out, blocks, this.gemm, options.sums === true)] as const;
      }),
    );
    // The residual the attention-output and FFN-output linears' outputs are added to: the layer
    // input, the attention output; the dense stream's minus the pruned one's.
    const residual =
      options.residual && (s === 1 || s === 3)
        ? (b: number) => [s === 1 ? this.xd[b] : this.ad[b], s === 1 ? this.x[b] : this.a[b]] as const
        : undefined;
    this.nextDense = this.phases.time('forward.dense', () =>
      this.runBatches(s, model.layers[li], denseInputs, this.xd, this.ad, this.attention.dense, (v, l, b, into) => {
        const y = this.phases.time('linear.dense', () => {
          if (!this.denseLinears.has(l))
            this.denseLinears.set(l, new MaskedLinear(l.weight, undefined, l.out, l.in, l.bias, this.gemm, true));
          return this.denseLinears.get(l)!.apply(v, this.rows(b), into);
        });
        this.phases.time('cross', () =>
          accs.get(l)!.add(inputs[b], y, this.rows(b), this.real[b], l.bias, residual?.(b)),
        );
        return y;
      }),
    );
    for (const acc of accs.values()) sums.cross.push({ cross: acc.matrix(), targetSum: acc.targetSum });
  }

  solve(task: SolveTask): SolveAnswer {
    const { model, masks, options } = this.init;
    const plan = stagePlan(model, masks, task.layer, task.stage, options);
    const answer = this.phases.time('solve', () => solveStage(model, masks, plan, task));
    return { ...answer, phases: this.phases.report() };
  }

  advance(li: number, s: number, weights: StageWeights[]): void {
    const { model, masks } = this.init;
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
    const next = this.phases.time('forward.pruned', () =>
      this.runBatches(s, this.layer, inputs, this.x, this.a, this.attention.pruned, (v, l, b, into) =>
        this.phases.time('linear.pruned', () => this.pruned.get(l)!.apply(v, this.rows(b), into)),
      ),
    );
    // The stage's outputs of the layer before are read no more (this layer's later stages read
    // this layer's): their arrays go back to the pool.
    this.recycle(
      ...[
        [this.ctx, this.ctxd],
        [this.a, this.ad],
        [this.f, this.fd],
        [this.x, this.xd],
      ][s],
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
  if (s === 1) return attentionOutput(model, layer, input, x, linear, fastAddNorm);
  if (s === 2) return ffnHidden(layer, input, linear, fastGelu);
  return ffnOutput(model, layer, input, a!, linear, fastAddNorm);
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
