// Cycle-stepped simulation of an FPGA plan. Where the analytic model (fpga-model.ts) uses
// closed forms and expectations, this executes the plan cycle by cycle: concrete random tile
// patterns for the tile-only design (so load imbalance is what it is, not its expectation), one
// DRAM channel serving requests in FIFO order at its bytes-per-cycle with a request latency,
// per-engine double buffers that stall an engine until its next tile-row has landed.
//
// `fastForward` skips runs of cycles in which no state changes (every counter just counts
// down); it gives the same cycle counts as stepping one cycle at a time (tested), only faster.
import {
  FPGA_CONSTANTS,
  buildPlan,
  dramBytesPerCycle,
  enginePipeDepth,
  type EngineJob,
  type FpgaDesign,
  type FpgaPlan,
  type PlanJob,
} from './fpga-design';
import { summarise, type FpgaEstimate, type OpLatency } from './fpga-model';
import type { FpgaBoard } from './types';
import type { Workload } from './workload';
import { rng } from '../random';
import { groupCycles } from './bank-conflicts';

export { rng };

export interface SimOptions {
  /** Seed of the random tile patterns (tile-only design). */
  seed?: number;
  /** Random patterns simulated per op; the op's cycles are their mean. */
  draws?: number;
  fastForward?: boolean;
  /** Gives up beyond this many simulated cycles per op (guards the UI against huge runs). */
  maxCyclesPerOp?: number;
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Kept tiles per tile-row of one concrete pattern: `kept` of rows x T chosen uniformly. */
export function drawTileRows(rows: number, T: number, kept: number, random: () => number): Int32Array {
  const total = rows * T;
  const perRow = new Int32Array(rows);
  // Floyd's sampling of `kept` distinct cells.
  const chosen = new Set<number>();
  for (let j = total - kept; j < total; j++) {
    const t = Math.floor(random() * (j + 1));
    const cell = chosen.has(t) ? j : t;
    chosen.add(cell);
    perRow[Math.floor(cell / T)]++;
  }
  return perRow;
}

/** `kept` distinct columns of `n`, sorted. */
export function drawColumns(n: number, kept: number, random: () => number): Int32Array {
  const chosen = new Set<number>();
  for (let j = n - kept; j < n; j++) {
    const t = Math.floor(random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}

interface Segment {
  row: number;
  units: number;
  cyclesPerUnit: number;
  bytes: number;
}

interface DramRequest {
  owner: number;
  bytes: number;
  readyAt: number;
}

/** One engine job, cycle by cycle. Returns cycles and summed engine-busy cycles. */
export function simulateEngineJob(
  job: EngineJob,
  plan: FpgaPlan,
  random: () => number,
  opts: SimOptions = {},
): { cycles: number; busy: number } {
  const { P } = plan.design;
  const bpc = dramBytesPerCycle(plan.board);
  const rows = job.instances * job.tileRows;
  const cost = new Float64Array(rows);
  const bytes = new Float64Array(rows);
  if (job.cost.type === 'uniform') {
    cost.fill(job.cost.cycles);
    bytes.fill(job.streamBytesPerRow);
  } else if (job.cost.type === 'bank-conflicts') {
    // A concrete set of kept columns per tile-row, read in index order V at a time.
    const { keptCols, inCols, V, banks } = job.cost;
    for (let r = 0; r < rows; r++) {
      const cols = drawColumns(inCols, keptCols, random);
      cost[r] = groupCycles(cols, V, banks);
    }
    bytes.fill(job.streamBytesPerRow);
  } else {
    const { keptTiles, tilesPerRow, cyclesPerTile } = job.cost;
    for (let i = 0; i < job.instances; i++) {
      const perRow = drawTileRows(job.tileRows, tilesPerRow, keptTiles, random);
      for (let r = 0; r < job.tileRows; r++) {
        cost[i * job.tileRows + r] = perRow[r] * cyclesPerTile;
        bytes[i * job.tileRows + r] = perRow[r] * job.streamBytesPerRow;
      }
    }
  }
  // Static contiguous chunks of (row, token) units, sizes differing by at most one.
  const units = rows * job.tokens;
  const segs: Segment[][] = [];
  for (let e = 0; e < P; e++) {
    const lo = Math.floor((e * units) / P);
    const hi = Math.floor(((e + 1) * units) / P);
    const list: Segment[] = [];
    for (let u = lo; u < hi;) {
      const row = Math.floor(u / job.tokens);
      const end = Math.min(hi, (row + 1) * job.tokens);
      list.push({ row, units: end - u, cyclesPerUnit: cost[row], bytes: bytes[row] });
      u = end;
    }
    segs.push(list);
  }
  const streamed = job.streamBytesPerRow > 0;
  const latency = streamed || job.spillBytes > 0 ? FPGA_CONSTANTS.dramLatency : 0;

  // Engine state.
  const seg = new Int32Array(P); // current segment
  const left = new Float64Array(P); // cycles left in the current segment
  const running = new Uint8Array(P);
  const arrivedUpTo = new Int32Array(P); // segments [0, arrivedUpTo) have their data on chip
  const requested = new Int32Array(P); // next segment to request
  const done = new Uint8Array(P);
  // DRAM: weight-row requests (FIFO) have priority over spilled-activation chunks (engines stall
  // on weights; spills are buffered); a transfer, once started, runs to completion.
  const weightQ: DramRequest[] = [];
  const spillQ: DramRequest[] = [];
  let wHead = 0;
  let sHead = 0;
  let current: DramRequest | null = null;
  let currentLeft = 0;
  const request = (owner: number, n: number, now: number) =>
    (owner < 0 ? spillQ : weightQ).push({ owner, bytes: n, readyAt: now + latency });
  const pending = () => current !== null || wHead < weightQ.length || sHead < spillQ.length;
  // Spilled activations: a DMA stream issued at the start, in 512-byte bursts (a weight row
  // waits for at most one burst).
  const SPILL_CHUNK = 512;
  for (let left = job.spillBytes; left > 0; left -= SPILL_CHUNK) request(-1, Math.min(SPILL_CHUNK, left), 0);
  // Initial requests: every engine's first buffer, then every engine's second.
  for (let slot = 0; slot < 2 && streamed; slot++) {
    for (let e = 0; e < P; e++) if (requested[e] < segs[e].length) request(e, segs[e][requested[e]++].bytes, 0);
  }
  for (let e = 0; e < P; e++) {
    if (!streamed) arrivedUpTo[e] = segs[e].length;
    if (segs[e].length === 0) done[e] = 1;
  }

  let now = 0;
  let busy = 0;
  const max = opts.maxCyclesPerOp ?? 5e8;
  for (;;) {
    // Start segments whose data are here (a tile-row with no kept tile is skipped at once).
    let allDone = true;
    for (let e = 0; e < P; e++) {
      while (!done[e] && !running[e] && seg[e] < arrivedUpTo[e]) {
        const sg = segs[e][seg[e]];
        if (sg.units * sg.cyclesPerUnit > 0) {
          left[e] = sg.units * sg.cyclesPerUnit;
          running[e] = 1;
        } else finishSegment(e, now);
      }
      if (!done[e]) allDone = false;
    }
    if (allDone && !pending()) break;
    if (now > max) throw new RangeError(`simulation of ${job.name} exceeded ${max} cycles`);
    // How many cycles until something changes (1 when stepping cycle by cycle).
    let step = 1;
    if (opts.fastForward !== false) {
      step = Infinity;
      for (let e = 0; e < P; e++) if (running[e]) step = Math.min(step, left[e]);
      if (current) step = Math.min(step, Math.max(1, Math.ceil(currentLeft / bpc - 1e-9)));
      else {
        // Nothing in flight: the next transfer starts when a head becomes ready (now, or later).
        for (const r of [weightQ[wHead], spillQ[sHead]]) {
          if (r)
            step = Math.min(step, r.readyAt <= now ? Math.max(1, Math.ceil(r.bytes / bpc - 1e-9)) : r.readyAt - now);
        }
      }
      if (!Number.isFinite(step)) step = 1;
    }
    // DRAM: start the next ready transfer (weights first), serve it; a transfer that completes
    // leaves the rest of that cycle's bandwidth unused. (Fast-forward never steps across a
    // readyAt or past a completion.)
    if (!current) {
      if (wHead < weightQ.length && weightQ[wHead].readyAt <= now) current = weightQ[wHead++];
      else if (sHead < spillQ.length && spillQ[sHead].readyAt <= now) current = spillQ[sHead++];
      if (current) currentLeft = current.bytes;
    }
    if (current) {
      currentLeft -= bpc * step;
      if (currentLeft <= 1e-9) {
        if (current.owner >= 0) arrivedUpTo[current.owner]++;
        current = null;
        currentLeft = 0;
      }
    }
    // Engines: count down.
    for (let e = 0; e < P; e++) {
      if (!running[e]) continue;
      busy += step;
      left[e] -= step;
      if (left[e] <= 0) {
        running[e] = 0;
        finishSegment(e, now + step);
      }
    }
    now += step;
  }

  function finishSegment(e: number, at: number) {
    seg[e]++;
    if (seg[e] >= segs[e].length) done[e] = 1;
    else if (streamed && requested[e] < segs[e].length) request(e, segs[e][requested[e]++].bytes, at);
  }
  return { cycles: now + enginePipeDepth(plan.design), busy };
}

function simulateStream(bytes: number, bpc: number): number {
  // One request: latency, then bytes at bpc per cycle.
  let left = bytes;
  let now = FPGA_CONSTANTS.dramLatency;
  while (left > 0) {
    left -= bpc;
    now++;
  }
  return now;
}

function simulateJob(job: PlanJob, plan: FpgaPlan, opts: SimOptions): OpLatency {
  const bpc = dramBytesPerCycle(plan.board);
  if (job.kind === 'dram')
    return { name: job.name, kind: 'dram', cycles: simulateStream(job.bytes, bpc), memoryBound: true };
  if (job.kind === 'sfu') {
    // Each pass sweeps the elements `sfuLanes` per cycle; the pipeline drains once.
    let cycles = 0;
    for (let p = 0; p < job.passes; p++) for (let left = job.elements; left > 0; left -= plan.design.sfuLanes) cycles++;
    cycles += FPGA_CONSTANTS.sfuPipe;
    const memory = job.spillBytes > 0 ? simulateStream(job.spillBytes, bpc) : 0;
    return { name: job.name, kind: 'sfu', cycles: Math.max(cycles, memory), memoryBound: memory > cycles };
  }
  const draws = job.cost.type === 'uniform' ? 1 : Math.max(1, opts.draws ?? 8);
  const random = rng((opts.seed ?? 1) ^ hashName(job.name));
  let cycles = 0;
  let busy = 0;
  for (let i = 0; i < draws; i++) {
    const r = simulateEngineJob(job, plan, random, opts);
    cycles += r.cycles;
    busy += r.busy;
  }
  cycles /= draws;
  busy /= draws;
  return { name: job.name, kind: 'engines', cycles, engineBusy: busy / (plan.design.P * cycles), memoryBound: false };
}

/** Simulated estimate (same shape as the analytic one). */
export function simulateFpga(board: FpgaBoard, design: FpgaDesign, w: Workload, opts: SimOptions = {}): FpgaEstimate {
  const plan = buildPlan(board, design, w);
  return summarise(
    plan,
    plan.jobs.map((j) => simulateJob(j, plan, opts)),
    w,
  );
}
