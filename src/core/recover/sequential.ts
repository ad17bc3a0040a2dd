// Sequential layer-wise reconstruction through the encoder (SparseGPT's order): the calibration
// batches run through the model one stage at a time, each stage's inputs coming from the stages
// already reconstructed before it; the linears that read those inputs (Q, K, V share one) get
// H = Xᵀ X from them, and their kept weights are solved for (reconstruct.ts) before the batches
// move on through the new weights. Async and cancellable: it yields between stages, so a worker
// can answer a cancel, and reports progress with an ETA.
import {
  prunableLinears,
  PRUNABLE_KINDS,
  type BertModel,
  type EncoderLayer,
  type Linear,
  type PrunableKind,
} from '../model/bert-types';
import {
  attentionContext,
  attentionOutput,
  ffnHidden,
  ffnOutput,
  referenceEmbed,
  type AttentionFn,
  type EncoderBatch,
  type LinearStep,
} from '../model/reference-forward';
import { fastGelu, gemmAttention } from './fast-forward';
import { CrossAccumulator, GramAccumulator, type CrossBlock } from './gram';
import { MaskedLinear } from './masked-linear';
import {
  chooseMethod,
  keptColumns,
  reconstructLinear,
  rowGroups,
  type ReconstructOptions,
  type ReconstructResult,
} from './reconstruct';
import { Gemm } from './wasm-gemm';

export interface RecoverProgress {
  /** Matrices reconstructed so far, of `total`. */
  done: number;
  total: number;
  /** The matrix just reconstructed. */
  matrix: string;
  elapsedMs: number;
  /** Remaining time, extrapolated from the work done (operation counts per stage). */
  etaMs: number;
}

export interface RecoverOptions extends ReconstructOptions {
  signal?: AbortSignal;
  onProgress?: (p: RecoverProgress) => void;
  /**
   * What each pruned layer should reproduce: 'self' (default, SparseGPT) its dense weights applied
   * to its own (already reconstructed) inputs; 'dense' the dense model's outputs on the dense
   * model's inputs, so later layers also make up for the errors of earlier ones (a dense forward
   * stream and Xᵀ Y per matrix besides).
   */
  targets?: 'self' | 'dense';
  /** Fit each linear's bias too (least squares with an intercept column). */
  bias?: boolean;
  /**
   * Dense targets only: the attention-output and FFN-output linears also make up for the
   * difference of the residual they are added to (the dense stream's minus the pruned one's), so
   * the sum that enters the LayerNorm is the dense model's.
   */
  residual?: boolean;
}

export interface RecoveredMatrix {
  name: string;
  /** W' row-major out x in, zero where the mask is zero. */
  weight: Float32Array;
  /** The fitted bias, with `bias` (else the dense one stays). */
  bias?: Float32Array;
  method: ReconstructResult['method'];
  factorisations: number;
  ms: number;
}

export interface RecoverResult {
  /** prunableLinears order. */
  matrices: RecoveredMatrix[];
  /** Real (non-padding) calibration tokens. */
  tokens: number;
  ms: number;
}

/** The stages of a layer: which linears read the stage's input. */
const STAGES: PrunableKind[][] = [['q', 'k', 'v'], ['attnOut'], ['ffnIn'], ['ffnOut']];

/**
 * Reconstructs every prunable matrix of `model` under its mask (prunableLinears order, 1 = kept).
 * The model itself is left unchanged.
 */
export async function recoverModel(
  model: BertModel,
  masks: Uint8Array[],
  batches: EncoderBatch[],
  options: RecoverOptions = {},
): Promise<RecoverResult> {
  const linears = prunableLinears(model);
  if (masks.length !== linears.length) throw new RangeError(`got ${masks.length} masks for ${linears.length} matrices`);
  linears.forEach((l, i) => {
    if (masks[i].length !== l.out * l.in)
      throw new RangeError(`${l.name}: mask has ${masks[i].length} entries, expected ${l.out} x ${l.in}`);
  });
  if (batches.length === 0) throw new RangeError('reconstruction needs at least one calibration batch');
  const t0 = performance.now();
  const { signal, onProgress } = options;
  const real = batches.map((b) => (row: number) => b.attentionMask[row] !== 0);
  const tokens = batches.reduce((n, b) => n + Array.from(b.attentionMask).filter((v) => v !== 0).length, 0);
  if (tokens === 0) throw new RangeError('calibration needs at least one real token');
  const work = (l: Linear) => l.in * (l.out + l.in / 2); // forward + Gram, per token
  const totalWork = linears.reduce((s, l) => s + work(l), 0);
  let doneWork = 0;
  const matrices: RecoveredMatrix[] = [];
  const gemm = new Gemm(); // one WebAssembly memory for every product of this run
  const attention = gemmAttention(gemm);
  const pruned = new Map<Linear, MaskedLinear>(); // the reconstructed linears, as the forward runs them

  let x = batches.map((b) => referenceEmbed(model, b));
  const denseTargets = options.targets === 'dense';
  const rows = (b: number) => batches[b].batch * batches[b].seq;
  let xd = x; // the dense model's stream ('dense' targets)
  const denseLinears = new Map<Linear, MaskedLinear>(); // its linears, packed once
  for (let li = 0; li < model.layers.length; li++) {
    // The layer as reconstructed so far: its linears are replaced stage by stage.
    const layer: EncoderLayer = { ...model.layers[li] };
    let ctx: Float32Array[] = [];
    let a: Float32Array[] = [];
    let f: Float32Array[] = [];
    let ctxd: Float32Array[] = [];
    let ad: Float32Array[] = [];
    let fd: Float32Array[] = [];
    for (let s = 0; s < STAGES.length; s++) {
      const inputs = s === 0 ? x : s === 1 ? ctx : s === 2 ? a : f;
      const denseInputs = s === 0 ? xd : s === 1 ? ctxd : s === 2 ? ad : fd;
      // The solver of each linear is chosen first: with dense targets, the row-group solver reads
      // only the kept entries of Xᵀ Y and of H, so only those are summed.
      const kinds = STAGES[s];
      const indices = kinds.map((kind) => li * PRUNABLE_KINDS.length + PRUNABLE_KINDS.indexOf(kind));
      const methods = kinds.map((kind, i) =>
        options.method && options.method !== 'auto'
          ? options.method
          : chooseMethod(masks[indices[i]], layer[kind].out, layer[kind].in, denseTargets),
      );
      const groups = kinds.map((kind, i) => keptGroups(masks[indices[i]], layer[kind].out, layer[kind].in));
      const keptSets =
        denseTargets && methods.every((m) => m === 'grouped') ? groups.flat().map((g) => g.cols) : undefined;
      const gram = new GramAccumulator(layer[kinds[0]].in, gemm, keptSets);
      inputs.forEach((input, b) => gram.add(input, batches[b].batch * batches[b].seq, real[b]));
      const h = gram.matrix();
      // Dense targets: the dense stage first, its linears' outputs recorded for Xᵀ Y.
      const recorded = new Map<Linear, Float32Array[]>();
      const nextDense = denseTargets
        ? denseInputs.map((input, b) =>
            runStage(s, model, model.layers[li], batches[b], input, xd[b], ad[b], attention, (v, l) => {
              if (!denseLinears.has(l))
                denseLinears.set(l, new MaskedLinear(l.weight, undefined, l.out, l.in, l.bias, gemm));
              const y = denseLinears.get(l)!.apply(v, rows(b));
              // A copy: the stage goes on in place on y (residual + LayerNorm, GELU).
              recorded.set(l, [...(recorded.get(l) ?? []), y.slice()]);
              return y;
            }),
          )
        : [];
      for (const [k, kind] of kinds.entries()) {
        await yieldToEventLoop(signal);
        const index = indices[k];
        const method = methods[k];
        const dense = layer[kind];
        const t = performance.now();
        // The residual this linear's output is added to: the layer input (attnOut), the
        // attention output (ffnOut); dense stream's minus the pruned one's.
        const residual =
          denseTargets && options.residual && (s === 1 || s === 3)
            ? (b: number) => [s === 1 ? xd[b] : ad[b], s === 1 ? x[b] : a[b]] as const
            : undefined;
        const blocks = method === 'grouped' ? crossBlocks(groups[k], dense.out, dense.in) : undefined;
        const targets = denseTargets
          ? crossTargets(inputs, recorded.get(dense)!, dense, batches, real, gemm, residual, blocks)
          : undefined;
        const intercept = options.bias
          ? { bias: dense.bias, inputSum: gram.sum, tokens: gram.tokens, targetSum: targets?.targetSum }
          : undefined;
        const r = reconstructLinear(
          {
            weight: dense.weight,
            out: dense.out,
            in: dense.in,
            mask: masks[index],
            gram: h,
            cross: targets?.cross,
            intercept,
          },
          { ...options, method },
        );
        const bias = r.bias ?? dense.bias;
        layer[kind] = { ...dense, weight: r.weight, bias };
        pruned.set(layer[kind], new MaskedLinear(r.weight, masks[index], dense.out, dense.in, bias, gemm));
        matrices[index] = {
          name: dense.name,
          weight: r.weight,
          ...(r.bias ? { bias: r.bias } : {}),
          method: r.method,
          factorisations: r.factorisations,
          ms: performance.now() - t,
        };
        doneWork += work(dense);
        const elapsedMs = performance.now() - t0;
        onProgress?.({
          done: matrices.filter(Boolean).length,
          total: linears.length,
          matrix: dense.name,
          elapsedMs,
          etaMs: (elapsedMs * (totalWork - doneWork)) / doneWork,
        });
      }
      if (s === STAGES.length - 1 && li === model.layers.length - 1) break; // nothing reads the last output
      await yieldToEventLoop(signal);
      // Run the batches through the reconstructed stage (and the dense one, for dense targets).
      const next = inputs.map((input, b) =>
        runStage(s, model, layer, batches[b], input, x[b], a[b], attention, (v, l) => pruned.get(l)!.apply(v, rows(b))),
      );
      if (s === 0) ctx = next;
      else if (s === 1) a = next;
      else if (s === 2) f = next;
      else x = next;
      if (!denseTargets) continue;
      if (s === 0) ctxd = nextDense;
      else if (s === 1) ad = nextDense;
      else if (s === 2) fd = nextDense;
      else xd = nextDense;
    }
  }
  return { matrices, tokens, ms: performance.now() - t0 };
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

/** Xᵀ Y over real tokens: X the (reconstructed) inputs, Y the dense layer's outputs on the dense
 *  model's inputs, bias removed; in x out, row-major, and Σ_t y_t. With `residual` (batch ->
 *  [dense, pruned] residual streams), Y + dense - pruned. */
function crossTargets(
  inputs: Float32Array[],
  outputs: Float32Array[],
  dense: Linear,
  batches: EncoderBatch[],
  real: Array<(row: number) => boolean>,
  gemm: Gemm,
  residual?: (b: number) => readonly [Float32Array, Float32Array],
  blocks?: CrossBlock[],
): { cross: Float64Array; targetSum: Float64Array } {
  const acc = new CrossAccumulator(dense.in, dense.out, blocks, gemm);
  inputs.forEach((xp, b) => {
    let y = outputs[b];
    if (residual) {
      const [rd, rp] = residual(b);
      y = y.map((v, i) => v + rd[i] - rp[i]);
    }
    acc.add(xp, y, batches[b].batch * batches[b].seq, real[b], dense.bias);
  });
  return { cross: acc.matrix(), targetSum: acc.targetSum };
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

/** Lets a worker's message loop run (a cancel arrives this way); throws if cancelled. */
async function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await new Promise((resolve) => setTimeout(resolve, 0));
  signal?.throwIfAborted();
}
