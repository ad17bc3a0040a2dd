// The rows `hp-lab encoder` prints and the browser benchmark (scripts/bench/browser-encoder)
// posts, built once: a latency row (dense and HP timed on the same batch x seq) and a profile
// row (GPU time per kind of op). Both settings then report the same fields.
import type { EncoderEngine, EncoderTiming } from '../gpu/encoder';
import type { DispatchTime, EncoderProfile } from '../gpu/encoder/op-profile';
import type { ReadbackFloor } from '../gpu/readback-floor';

export const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

/** A profile's per-dispatch times as [kind, ms] pairs, in the forward's order. */
const kindPairs = (list: readonly DispatchTime[]) => list.map((d) => [d.kind, round(d.msMedian)] as const);

/** GPU time per kind of op (and, with the leave-out, what each costs in place). */
export function profileRow(p: EncoderProfile) {
  const ops: Record<string, number> = {};
  const inPlace: Record<string, number> = {};
  for (const o of p.ops) {
    ops[o.kind] = round(o.msMedian);
    if (o.withoutMs !== undefined) inPlace[o.kind] = round(p.forward.msMedian - o.withoutMs);
  }
  return {
    timing: p.timing,
    forward_ms: round(p.forward.msMedian),
    sum_of_ops_ms: round(p.sumMs),
    dispatches: p.dispatches,
    ops_ms: ops,
    ...(p.ops.some((o) => o.withoutMs !== undefined) ? { in_forward_ms: inPlace } : {}),
    ...(p.groupedMs !== undefined ? { grouped_by_kind_ms: round(p.groupedMs) } : {}),
    // Each dispatch on its own, in the forward's order: [kind, ms].
    ...(p.perDispatch ? { dispatches_ms: kindPairs(p.perDispatch) } : {}),
    // Each dispatch's increment over the forward's dispatches before it.
    ...(p.inPlace ? { dispatches_in_place_ms: kindPairs(p.inPlace) } : {}),
    // Each dispatch after the one before it, less that one alone.
    ...(p.afterPrevious ? { dispatches_after_previous_ms: kindPairs(p.afterPrevious) } : {}),
    // Each dispatch on its own after the cache was filled with other data.
    ...(p.cold ? { dispatches_cold_ms: kindPairs(p.cold), cold_fill_mib: round((p.coldBytes ?? 0) / 2 ** 20) } : {}),
  };
}

/** Dense and HP timings of one batch x seq: GPU time, wall time of run() back to back and idle,
 *  and run()'s CPU parts (submit, recording ahead, upload). */
export function latencyRow(
  sparsity: number,
  d: EncoderTiming,
  h: EncoderTiming,
  engines: { dense: EncoderEngine; hp: EncoderEngine },
) {
  const tokens = d.batch * d.seq;
  return {
    sparsity,
    batch: d.batch,
    seq: d.seq,
    timing: d.timing,
    dense_ms: round(d.msMedian),
    hp_ms: round(h.msMedian),
    speedup: round(d.msMedian / h.msMedian, 2),
    dense_min_ms: round(d.msMin),
    hp_min_ms: round(h.msMin),
    dense_run_wall_ms: round(d.runMsMedian, 3),
    hp_run_wall_ms: round(h.runMsMedian, 3),
    dense_idle_wall_ms: d.idleRunMsMedian === null ? null : round(d.idleRunMsMedian, 3),
    hp_idle_wall_ms: h.idleRunMsMedian === null ? null : round(h.idleRunMsMedian, 3),
    dense_run_submit_ms: round(d.submitMsMedian, 3),
    hp_run_submit_ms: round(h.submitMsMedian, 3),
    dense_run_record_ms: round(d.recordMsMedian, 3),
    hp_run_record_ms: round(h.recordMsMedian, 3),
    dense_run_upload_ms: round(d.uploadMsMedian, 3),
    hp_run_upload_ms: round(h.uploadMsMedian, 3),
    sequences_per_s_hp: Math.round((d.batch * 1000) / h.msMedian),
    kernels: { dense: engines.dense.kernelVariants(tokens), hp: engines.hp.kernelVariants(tokens) },
  };
}

/** The round trip under every run() (gpu/readback-floor.ts), ms. */
export const floorRow = (f: ReadbackFloor) => ({
  empty_submit: round(f.emptySubmitMs, 3),
  map_read: round(f.mapReadMs, 3),
  map_read_nudged: round(f.mapReadNudgedMs, 3),
});
