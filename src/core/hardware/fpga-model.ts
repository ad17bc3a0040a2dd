// Analytic (closed-form) latency of an FPGA plan, op by op. The cycle-stepped simulation in
// fpga-sim.ts executes the same plan and must agree within 5% (tests/unit/hardware).
import {
  FPGA_CONSTANTS,
  buildPlan,
  meanUnitCycles,
  dramBytesPerCycle,
  enginePipeDepth,
  type EngineJob,
  type FpgaDesign,
  type FpgaPlan,
  type PlanJob,
  type Resources,
} from './fpga-design';
import type { FpgaBoard } from './types';
import type { Workload } from './workload';

export interface OpLatency {
  name: string;
  kind: PlanJob['kind'];
  cycles: number;
  /** Engine-busy cycles summed over engines / (P * cycles): 1 = every engine busy throughout. */
  engineBusy?: number;
  /** Whether DRAM traffic, not compute, set the op's time. */
  memoryBound: boolean;
}

export interface FpgaEstimate {
  plan: FpgaPlan;
  ops: OpLatency[];
  cycles: number;
  latencyMs: number;
  /** Sequences per second at batch B. */
  throughput: number;
  /** Useful GOP/s (2 per kept MAC, all ops). */
  gops: number;
  /** Share of each resource used. */
  utilisation: Record<keyof Resources, number>;
  /** MAC-array busy share over the engine ops. */
  macUtilisation: number;
  powerW: number;
  energyMj: number;
}

/** E[max of n independent Binomial(trials, p)] = sum_t (1 - F(t-1)^n), exact. */
export function expectedMaxBinomial(n: number, trials: number, p: number): number {
  if (n <= 0 || trials <= 0 || p <= 0) return 0;
  if (p >= 1) return trials;
  // pmf by the recurrence in log space, then the CDF.
  const logq = Math.log1p(-p);
  let logPmf = trials * logq;
  const ratio = Math.log(p) - logq;
  let cdf = 0;
  let e = 0;
  for (let t = 0; t < trials; t++) {
    cdf += Math.exp(logPmf);
    e += 1 - Math.min(1, cdf) ** n;
    logPmf += Math.log((trials - t) / (t + 1)) + ratio;
  }
  return e;
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** E[max of n standard normals] ~ z((n - 0.375) / (n + 0.25)) (Blom). */
export function expectedMaxStdNormal(n: number): number {
  return n <= 1 ? 0 : normalQuantile((n - 0.375) / (n + 0.25));
}

/** Expected busiest-engine load (cycles) of an engine job, without DRAM effects. */
export function engineComputeCycles(job: EngineJob, P: number): { maxLoad: number; totalLoad: number } {
  const units = job.instances * job.tileRows * job.tokens;
  const q = units / P;
  const mean = meanUnitCycles(job.cost);
  if (mean !== null) return { maxLoad: Math.ceil(q) * mean, totalLoad: units * mean };
  if (job.cost.type === 'bank-conflicts') {
    // Row costs vary (random bank conflicts): normal approximation of the busiest engine,
    // E[max of n] ~ mean + sd * z(n) (Blom's plotting position).
    const { expectedCycles: mu, varianceCycles: v } = job.cost;
    const rowsPerEngine = q / job.tokens;
    const totalLoad = units * mu;
    if (rowsPerEngine >= 1) {
      const n = Math.min(P, units);
      return {
        maxLoad:
          q * mu + job.tokens * Math.sqrt(meanSquaredRowShares(units, P, job.tokens) * v) * expectedMaxStdNormal(n),
        totalLoad,
      };
    }
    const n = Math.min(P, job.instances * job.tileRows);
    return { maxLoad: Math.ceil(q) * (mu + Math.sqrt(v) * expectedMaxStdNormal(n)), totalLoad };
  }
  if (job.cost.type !== 'random-tiles') throw new Error(`unknown row cost ${job.cost.type}`);
  const { keptTiles, tilesPerRow: T, cyclesPerTile } = job.cost;
  const p = keptTiles / (job.tileRows * T);
  const totalLoad = job.instances * keptTiles * job.tokens * cyclesPerTile;
  const rowsPerEngine = q / job.tokens;
  if (rowsPerEngine >= 1) {
    // An engine's load is sum_r n_er * kept_r over the tile-rows its chunk covers; kept_r has
    // mean T p and (tiles scored independently, a fixed total kept) the hypergeometric variance
    // T p (1 - p) (N - T) / (N - 1), N = all tiles. Normal approximation of the busiest engine.
    const N = job.tileRows * T;
    const varRow = N > 1 ? (T * p * (1 - p) * (N - T)) / (N - 1) : 0;
    const sd = job.tokens * Math.sqrt(meanSquaredRowShares(units, P, job.tokens) * varRow);
    const maxLoad = (q * T * p + sd * expectedMaxStdNormal(Math.min(P, units))) * cyclesPerTile;
    return { maxLoad: Math.max(maxLoad, totalLoad / P), totalLoad };
  }
  // Several engines share a tile-row (each a slice of its tokens): the fullest row sets the time.
  const maxKeptPerUnit = expectedMaxBinomial(Math.min(P, job.instances * job.tileRows), T, p);
  return { maxLoad: Math.max(Math.ceil(q) * maxKeptPerUnit * cyclesPerTile, totalLoad / P), totalLoad };
}

function engineJobCycles(job: EngineJob, plan: FpgaPlan, bpc: number): OpLatency {
  const { P } = plan.design;
  const { maxLoad, totalLoad } = engineComputeCycles(job, P);
  const rows = job.instances * job.tileRows;
  const units = rows * job.tokens;
  const streamed = job.streamBytesPerRow > 0;
  const perRowBytes =
    job.streamPerTile && job.cost.type === 'random-tiles'
      ? job.streamBytesPerRow * (job.cost.keptTiles / job.tileRows)
      : job.streamBytesPerRow;
  // Each engine fetches the tile-rows its chunk touches; a tile-row split between two engines
  // (a chunk boundary inside it) is fetched by both.
  const segments = streamed ? chunkSegments(units, P, job.tokens) : 0;
  const dramBytes = perRowBytes * segments + job.spillBytes;
  const dram = dramBytes / bpc;
  // Every engine's first tile-row must land before it starts: streamedComputeSide's recurrence
  // holds that wait; the last row streamed still has to be computed after it lands.
  // The last row to land is some engine's last segment: on average units / segments tokens.
  const tail = streamed ? (units / Math.max(1, segments)) * (totalLoad / units) : 0;
  const latency = dramBytes > 0 ? FPGA_CONSTANTS.dramLatency : 0;
  // Streamed uniform-ish work: the per-engine recurrence, with the busiest engine's per-unit cost.
  const perUnit = meanUnitCycles(job.cost) ?? maxLoad / Math.ceil(units / P);
  const weightDram = (perRowBytes * segments) / bpc;
  const compute = streamed ? streamedComputeSide(units, P, job.tokens, perUnit, perRowBytes / bpc) : maxLoad;
  // All traffic must move; and weight rows (served before spills) must land before their
  // last row is computed.
  const memory = Math.max(dram, weightDram + tail);
  const cycles = Math.max(compute, memory) + latency + enginePipeDepth(plan.design);
  return {
    name: job.name,
    kind: 'engines',
    cycles,
    engineBusy: totalLoad / (P * cycles),
    memoryBound: memory > compute,
  };
}

/** Busiest engine's finish when its tile-rows stream in: requests are served in order (all
 *  engines' first buffers, then all second buffers, then each refill as a buffer frees), so an
 *  engine whose first tile-row is a short slice waits for its second. A recurrence over each
 *  engine's segments; DRAM contention after the first two rounds is left to the memory side. */
export function streamedComputeSide(
  units: number,
  P: number,
  tokens: number,
  cyclesPerUnit: number,
  rowTransfer: number,
): number {
  const active = Math.min(P, units);
  // Round two serves, in engine order, only the engines whose chunk spans a second tile-row.
  let secondRank = 0;
  let makespan = 0;
  let idx = 0;
  for (let e = 0; e < P; e++) {
    const lo = Math.floor((e * units) / P);
    const hi = Math.floor(((e + 1) * units) / P);
    if (hi <= lo) continue;
    const ends: number[] = [];
    let cursor = 0;
    for (let u = lo, j = 0; u < hi; j++) {
      const end = Math.min(hi, (Math.floor(u / tokens) + 1) * tokens);
      const arrival =
        j === 0
          ? (idx + 1) * rowTransfer
          : j === 1
            ? (active + secondRank + 1) * rowTransfer
            : ends[j - 2] + rowTransfer;
      if (j === 1) secondRank++;
      cursor = Math.max(cursor, arrival) + (end - u) * cyclesPerUnit;
      ends.push(cursor);
      u = end;
    }
    makespan = Math.max(makespan, cursor);
    idx++;
  }
  return makespan;
}

/** Mean over engines of sum_r f_r^2, f_r = share of tile-row r's tokens in the engine's chunk
 *  (chunks cut contiguous (row, token) units into P near-equal pieces). */
export function meanSquaredRowShares(units: number, P: number, tokens: number): number {
  let total = 0;
  let engines = 0;
  for (let e = 0; e < P; e++) {
    const lo = Math.floor((e * units) / P);
    const hi = Math.floor(((e + 1) * units) / P);
    if (hi <= lo) continue;
    engines++;
    for (let u = lo; u < hi;) {
      const end = Math.min(hi, (Math.floor(u / tokens) + 1) * tokens);
      total += ((end - u) / tokens) ** 2;
      u = end;
    }
  }
  return engines ? total / engines : 0;
}

/** Distinct (engine, tile-row) pairs when `units` (row-major, `tokens` per row) are cut into P
 *  contiguous chunks whose sizes differ by at most one. */
export function chunkSegments(units: number, P: number, tokens: number): number {
  let segments = 0;
  for (let e = 0; e < P; e++) {
    const lo = Math.floor((e * units) / P);
    const hi = Math.floor(((e + 1) * units) / P);
    if (hi > lo) segments += Math.floor((hi - 1) / tokens) - Math.floor(lo / tokens) + 1;
  }
  return segments;
}

export function jobCycles(job: PlanJob, plan: FpgaPlan): OpLatency {
  const bpc = dramBytesPerCycle(plan.board);
  if (job.kind === 'engines') return engineJobCycles(job, plan, bpc);
  if (job.kind === 'dram')
    return {
      name: job.name,
      kind: 'dram',
      cycles: Math.ceil(job.bytes / bpc) + FPGA_CONSTANTS.dramLatency,
      memoryBound: true,
    };
  const compute = job.passes * Math.ceil(job.elements / plan.design.sfuLanes) + FPGA_CONSTANTS.sfuPipe;
  const memory = job.spillBytes > 0 ? job.spillBytes / bpc + FPGA_CONSTANTS.dramLatency : 0;
  return { name: job.name, kind: 'sfu', cycles: Math.max(compute, memory), memoryBound: memory > compute };
}

export function utilisationOf(board: FpgaBoard, r: Resources): Record<keyof Resources, number> {
  const share = (used: number, have: number) => (have > 0 ? used / have : 0);
  return {
    dsp: share(r.dsp, board.dsp.value),
    lut: share(r.lut, board.lut.value),
    bram36: share(r.bram36, board.bram36.value),
    uram: share(r.uram, board.uram.value),
  };
}

/** Board power: static + (max - static) x mean used share of DSP, LUT and memory (first-order:
 *  dynamic power grows with the resources that toggle, at a fixed clock; an estimate). */
export function designPowerW(board: FpgaBoard, util: Record<keyof Resources, number>): number {
  const mem = board.uram.value > 0 ? (util.bram36 + util.uram) / 2 : util.bram36;
  const used = (util.dsp + util.lut + mem) / 3;
  return board.staticW.value + (board.powerW.value - board.staticW.value) * Math.min(1, used);
}

export function summarise(plan: FpgaPlan, ops: OpLatency[], w: Workload): FpgaEstimate {
  const cycles = ops.reduce((a, o) => a + o.cycles, 0);
  const latencyMs = (cycles / (plan.board.clockMHz.value * 1e6)) * 1e3;
  const flops = w.ops.reduce((a, op) => a + op.flops, 0);
  const engineOps = ops.filter((o) => o.kind === 'engines');
  const engineCycles = engineOps.reduce((a, o) => a + o.cycles, 0);
  const busy = engineOps.reduce((a, o) => a + (o.engineBusy ?? 0) * o.cycles, 0);
  const utilisation = utilisationOf(plan.board, plan.resources);
  const powerW = designPowerW(plan.board, utilisation);
  return {
    plan,
    ops,
    cycles,
    latencyMs,
    throughput: w.batch / (latencyMs / 1e3),
    gops: flops / (latencyMs / 1e3) / 1e9,
    utilisation,
    macUtilisation: engineCycles > 0 ? busy / engineCycles : 0,
    powerW,
    energyMj: powerW * latencyMs,
  };
}

/** Analytic estimate of a design on a board for a workload. */
export function estimateFpga(board: FpgaBoard, design: FpgaDesign, w: Workload): FpgaEstimate {
  return estimatePlan(buildPlan(board, design, w), w);
}

export function estimatePlan(plan: FpgaPlan, w: Workload): FpgaEstimate {
  return summarise(
    plan,
    plan.jobs.map((j) => jobCycles(j, plan)),
    w,
  );
}
