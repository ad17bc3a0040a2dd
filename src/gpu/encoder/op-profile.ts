// GPU time per kind of op of one forward: each kind's dispatches (all layers) are timed on
// their own with timeCompute, which repeats them inside one timestamped pass until the pass is
// long enough for the timestamps' resolution (Dawn on the H200 rounds to 65.5 µs), then the
// whole forward the same way. Repeats are serialised by the implementation's barriers, as the
// ops are inside a forward, so the parts add up to the forward less what overlaps between
// dispatches; the rest ("gaps") is reported, not hidden.
import { timeCompute, type GpuTiming } from '../timing';
import { createCacheEvict } from './cache-touch';

export const OP_KINDS = [
  'embeddings',
  'transpose',
  'qkv',
  'attention',
  'attn-out',
  'layernorm',
  'ffn1',
  'ffn2',
  'gather',
  'block',
  'tail',
  'head',
  'prefetch',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** One dispatch of the forward, labelled with its kind. */
export interface Step {
  kind: OpKind;
  encode(pass: GPUComputePassEncoder): void;
}

export interface OpTime {
  kind: OpKind;
  dispatches: number;
  msMedian: number;
  /** Share of the whole forward's median. */
  share: number;
  /** With leaveOut: the forward's median without this kind's dispatches (the rest unchanged;
   *  results wrong by design, timing only), so forward - withoutMs is what the kind costs in place. */
  withoutMs?: number;
}

/** What a profile adds to the per-kind times: leaveOut, the forward without each kind's dispatches
 *  (and regrouped by kind); perDispatch, each dispatch timed on its own; prefix, the forward's first k
 *  dispatches for every k, so each dispatch's increment is what it adds where it sits (after the ones
 *  before it), beside what it takes on its own; pairs, each dispatch timed after the one before it, less
 *  that one alone (is its cost in place set by its neighbour, or by what ran longer before?); coldBytes,
 *  each dispatch timed on its own after a dispatch reading that many bytes of another buffer
 *  (cache-touch.ts), less that read alone: what it takes with its weights and inputs out of the cache,
 *  as a forward's later layers may find them. */
export interface ProfileDetail {
  leaveOut?: boolean;
  perDispatch?: boolean;
  prefix?: boolean;
  pairs?: boolean;
  coldBytes?: number;
}

/** One dispatch of the forward timed on its own (perDispatch), in the forward's order. */
export interface DispatchTime {
  kind: OpKind;
  msMedian: number;
}

export interface EncoderProfile {
  forward: GpuTiming;
  dispatches: number;
  ops: OpTime[];
  /** Sum of the ops' medians. */
  sumMs: number;
  /** With leaveOut: the forward's dispatches regrouped by kind (every kind's dispatches back to
   *  back, in OP_KINDS order; timing only): the same work without the interleaving. */
  groupedMs?: number;
  /** With perDispatch: each dispatch on its own (its repeats serialised as in the forward). */
  perDispatch?: DispatchTime[];
  /** With prefix: per dispatch, in the forward's order, the forward's first k dispatches' time less the
   *  first k - 1's (the first: its own); they add up to the last prefix, the whole forward timed again. */
  inPlace?: DispatchTime[];
  /** With pairs: per dispatch, in the forward's order, it and the one before it less that one alone (the
   *  first: its own time). */
  afterPrevious?: DispatchTime[];
  /** With coldBytes: each dispatch on its own after the cache was filled with other data (less the
   *  filling read's own time), in the forward's order; coldBytes the bytes read (capped by the device). */
  cold?: DispatchTime[];
  coldBytes?: number;
  timing: GpuTiming['timing'];
}

export async function profileSteps(
  device: GPUDevice,
  steps: Step[],
  opts: { reps: number; warmup: number; minSampleMs?: number } & ProfileDetail,
): Promise<EncoderProfile> {
  /** The median of `list`'s dispatches recorded back to back into one pass. */
  const timeOf = async (list: readonly Pick<Step, 'encode'>[]) =>
    (await timeCompute(device, (pass) => list.forEach((s) => s.encode(pass)), opts)).msMedian;
  const forward = await timeCompute(device, (pass) => steps.forEach((s) => s.encode(pass)), opts);
  const ops: OpTime[] = [];
  for (const kind of OP_KINDS) {
    const mine = steps.filter((s) => s.kind === kind);
    if (mine.length === 0) continue;
    const ms = await timeOf(mine);
    const op: OpTime = { kind, dispatches: mine.length, msMedian: ms, share: ms / forward.msMedian };
    if (opts.leaveOut) op.withoutMs = await timeOf(steps.filter((s) => s.kind !== kind));
    ops.push(op);
  }
  const grouped = opts.leaveOut ? await timeOf(OP_KINDS.flatMap((k) => steps.filter((s) => s.kind === k))) : undefined;
  /** Each dispatch on its own, in order: perDispatch's, and what pairs subtracts. */
  let alone: number[] | undefined;
  if (opts.perDispatch || opts.pairs) {
    alone = [];
    for (const s of steps) alone.push(await timeOf([s]));
  }
  const perDispatch = opts.perDispatch ? steps.map((s, k) => ({ kind: s.kind, msMedian: alone![k] })) : undefined;
  let inPlace: DispatchTime[] | undefined;
  if (opts.prefix) {
    inPlace = [];
    let before = 0;
    for (let k = 1; k <= steps.length; k++) {
      const ms = await timeOf(steps.slice(0, k));
      inPlace.push({ kind: steps[k - 1].kind, msMedian: ms - before });
      before = ms;
    }
  }
  let afterPrevious: DispatchTime[] | undefined;
  if (opts.pairs) {
    afterPrevious = [{ kind: steps[0].kind, msMedian: alone![0] }];
    for (let k = 1; k < steps.length; k++)
      afterPrevious.push({ kind: steps[k].kind, msMedian: (await timeOf([steps[k - 1], steps[k]])) - alone![k - 1] });
  }
  let cold: DispatchTime[] | undefined;
  let coldBytes: number | undefined;
  if (opts.coldBytes) {
    const evict = await createCacheEvict(device, opts.coldBytes);
    try {
      coldBytes = evict.bytes;
      const evictMs = await timeOf([evict]);
      cold = [];
      // Each repeat reads the other buffer, then runs the dispatch; the implementation's barriers keep
      // them apart: before the read (its sink, written by the repeat before) and before the dispatch
      // (its outputs, likewise), each waiting for all the work recorded before it.
      for (const s of steps) cold.push({ kind: s.kind, msMedian: (await timeOf([evict, s])) - evictMs });
    } finally {
      evict.destroy();
    }
  }
  return {
    forward,
    groupedMs: grouped,
    perDispatch,
    inPlace,
    afterPrevious,
    cold,
    coldBytes,
    dispatches: steps.length,
    ops,
    sumMs: ops.reduce((n, o) => n + o.msMedian, 0),
    timing: forward.timing,
  };
}
