// Sequential layer-wise reconstruction through the encoder (SparseGPT's order): the calibration
// batches run through the model one stage at a time, each stage's inputs coming from the stages
// already reconstructed before it; the linears that read those inputs (Q, K, V share one) get
// H = Xᵀ X from them, and their kept weights are solved for (reconstruct.ts) before the batches
// move on through the new weights. The batches can be split into shards (shard.ts), extra ones on
// other threads: each sums its own tokens, the sums are added here and solved once. Async and
// cancellable: it yields between stages, so a worker can answer a cancel, and reports progress
// with an ETA.
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import { referenceEmbed, type EncoderBatch } from '../model/reference-forward';
import { PhaseTimer, type PhaseTimes } from './phases';
import { type ReconstructOptions, type ReconstructResult } from './reconstruct';
import {
  RecoveryShard,
  shareRows,
  solveStage,
  STAGES,
  stagePlan,
  type ShardInit,
  type ShardLike,
  type ShardSpawner,
  joinParts,
  type SolveTask,
  type StageSums,
  type StageWeights,
} from './shard';

export type { ShardSpawner } from './shard';
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
  /** Extra shards on other threads: the calibration batches are split between this thread and
   *  one shard per spawner (wall time about 1/(1 + helpers) on as many free cores). */
  helpers?: ShardSpawner[];
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
  /** Milliseconds per phase: this thread's run ('solve', 'sums', 'wait' for the other shards,
   *  'embed') and each shard's own (this thread's first, phases.ts). */
  phases: { run: PhaseTimes; shards: PhaseTimes[] };
}

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
  const tokens = batches.reduce((n, b) => n + Array.from(b.attentionMask).filter((v) => v !== 0).length, 0);
  if (tokens === 0) throw new RangeError('calibration needs at least one real token');
  const work = (l: Linear) => l.in * (l.out + l.in / 2); // forward + Gram, per token
  const totalWork = linears.reduce((s, l) => s + work(l), 0);
  let doneWork = 0;
  const matrices: RecoveredMatrix[] = [];
  const shardOptions = {
    method: options.method,
    targets: options.targets,
    residual: options.targets === 'dense' && options.residual,
    sums: options.bias,
  };
  // The batches dealt out to the shards, each to the one with the fewest rows so far (batches of
  // similar length sit together, so every shard gets some of each).
  const parts = splitBatches(batches, 1 + (options.helpers?.length ?? 0));
  // Shards on other threads get a copy: the word embeddings (most of the model) left out.
  const light = { ...model, embeddings: { ...model.embeddings, word: new Float32Array(0) } };
  const init = (part: EncoderBatch[], own = false): ShardInit => ({
    model: own ? model : light,
    masks,
    batches: part,
    inputs: timer.time('embed', () => part.map((b) => referenceEmbed(model, b))),
    options: shardOptions,
  });
  const helpers: Array<ShardLike & { close(): void }> = [];
  const timer = new PhaseTimer();
  const shardPhases: PhaseTimes[] = [];
  try {
    for (const [i, spawn] of (options.helpers ?? []).entries()) helpers.push(await spawn(init(parts[i + 1])));
    const shards: ShardLike[] = [new RecoveryShard(init(parts[0], true)), ...helpers];
    for (let li = 0; li < model.layers.length; li++) {
      for (let s = 0; s < STAGES.length; s++) {
        await yieldToEventLoop(signal);
        const t = performance.now();
        const plan = stagePlan(model, masks, li, s, shardOptions);
        // Helpers first: they work while this thread sums its own share.
        const pending = shards.slice(1).map((h) => h.accumulate(li, s));
        const own = await shards[0].accumulate(li, s);
        const waited = timer.start('wait');
        const all = [own, ...(await Promise.all(pending))];
        waited();
        all.forEach((x, i) => (shardPhases[i] = x.phases ?? {}));
        const sums = timer.time('sums', () => addSums(all));
        // The solves shared too: each helper gets its rows of every grouped matrix of the stage
        // (the sums copied to it) and solves them while this thread solves the rest.
        await yieldToEventLoop(signal);
        const shares = shareRows(model, masks, plan, li, shards.length);
        const task = (i: number): SolveTask => ({
          layer: li,
          stage: s,
          sums: { ...sums, phases: undefined },
          rows: shares[i],
          damp: options.damp,
          bias: options.bias,
        });
        const solving = shards.slice(1).map((h, i) => (shares[i + 1].some(Boolean) ? h.solve(task(i + 1)) : null));
        const mine = timer.time('solve', () => solveStage(model, masks, plan, task(0)));
        const waitedSolve = timer.start('wait');
        const answers = [mine, ...(await Promise.all(solving))];
        waitedSolve();
        answers.forEach((a, i) => a?.phases && (shardPhases[i] = a.phases));
        const weights: StageWeights[] = [];
        for (const [k, kind] of plan.kinds.entries()) {
          const index = plan.indices[k];
          const dense = model.layers[li][kind];
          const r = joinParts(
            answers.map((a, i) => ({ rows: shares[i][k], part: a?.parts[k] ?? null })),
            dense.out,
            dense.in,
          );
          weights.push({ weight: r.weight, bias: r.bias ?? dense.bias });
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
        // Every shard runs its batches through the reconstructed stage.
        const advancing = shards.slice(1).map((h) => h.advance(li, s, weights));
        shards[0].advance(li, s, weights);
        const waitedAdvance = timer.start('wait');
        await Promise.all(advancing);
        waitedAdvance();
      }
    }
  } finally {
    helpers.forEach((h) => h.close());
  }
  return { matrices, tokens, ms: performance.now() - t0, phases: { run: timer.report(), shards: shardPhases } };
}

/** `count` lists of batches with about the same rows each (a list may be empty). */
export function splitBatches(batches: EncoderBatch[], count: number): EncoderBatch[][] {
  const parts: EncoderBatch[][] = Array.from({ length: count }, () => []);
  const rows = new Array<number>(count).fill(0);
  for (const b of batches) {
    const i = rows.indexOf(Math.min(...rows));
    parts[i].push(b);
    rows[i] += b.batch * b.seq;
  }
  return parts;
}

/** The shards' sums added (the first one's arrays reused). */
function addSums(all: StageSums[]): StageSums {
  const [first, ...rest] = all;
  for (const s of rest) {
    first.tokens += s.tokens;
    addInto(first.gram, s.gram);
    addInto(first.inputSum, s.inputSum);
    for (let k = 0; k < s.cross.length; k++) {
      addInto(first.cross[k].cross, s.cross[k].cross);
      addInto(first.cross[k].targetSum, s.cross[k].targetSum);
    }
  }
  return first;
}

/** a += b. Loops like this one live in top-level functions, not in closures made per call: V8
 *  optimised such a closure again and again (each new one, with its long loop, compiled on the
 *  stack: ~400 TurboFan jobs a reconstruction, ~1.8 s of CPU beside the two threads). */
function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

/** Lets a worker's message loop run (a cancel arrives this way); throws if cancelled. */
async function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await new Promise((resolve) => setTimeout(resolve, 0));
  signal?.throwIfAborted();
}
