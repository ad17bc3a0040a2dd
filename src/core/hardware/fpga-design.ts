// The FPGA accelerator of the README's Design section, as parameters and resources, and the shared "plan" (what
// each operator asks of the engines, the special-function unit and DRAM) that both the analytic
// model (fpga-model.ts) and the cycle-stepped simulation (fpga-sim.ts) execute.
//
// Architecture (one for all designs, so they differ only in how a weight matrix is walked):
// - P tile engines, each Tr MAC lanes x V columns per cycle (Tr*V MACs/cycle). An engine owns a
//   contiguous chunk of work units (instance, tile-row, token); it keeps a tile-row's weights
//   stationary and streams its tokens through them (output-stationary accumulators, Tr wide).
// - Inputs of each engine live in Tc banks by column mod Tc. HP's V kept columns of one tile
//   have distinct offsets mod Tc: conflict-free, one cycle per V kept columns.
// - A special-function unit (SFU) of `sfuLanes` lanes runs softmax (2 passes), LayerNorm
//   (2 passes; the residual add is fused into its first pass) and GELU (1 pass).
// - Weights stay on chip when all encoder weights fit next to the activations (preloaded once,
//   not counted per inference); otherwise each tile-row is streamed from DRAM into a per-engine
//   double buffer. Activations stay on chip when they fit, otherwise they spill to DRAM.
// - Operators run one after another (a barrier between ops: LayerNorm/softmax need whole rows).
import { isHPStructured } from '../pruning/types';
import type { FpgaBoard } from './types';
import type { Op, SparsityConfig, Workload } from './workload';
import { rowCycleMoments } from './bank-conflicts';

/** hp: the HP accelerator. tile: prior block-sparse design. vector: prior vector-sparse design
 *  without HP's banking (columns anywhere in a tile-row, bank conflicts). dense: no sparsity. */
export type FpgaArch = 'hp' | 'tile' | 'vector' | 'dense';
export const FPGA_ARCHS: readonly FpgaArch[] = ['hp', 'tile', 'vector', 'dense'];
export type BitWidth = 'int8' | 'int16' | 'fp16';
export const BIT_WIDTHS: readonly BitWidth[] = ['int8', 'int16', 'fp16'];
export const VALUE_BYTES: Record<BitWidth, number> = { int8: 1, int16: 2, fp16: 2 };

export interface FpgaDesign {
  arch: FpgaArch;
  /** Tile engines. */
  P: number;
  /** MAC lanes per engine (= tile rows Tr). */
  tr: number;
  /** Input banks per engine (= tile columns Tc). */
  tc: number;
  /** Kept columns consumed per cycle. */
  V: number;
  bits: BitWidth;
  sfuLanes: number;
  /** Tile-only design: kept tiles per tile-row vary ('random') or are equal ('balanced'). */
  tileBalance?: 'random' | 'balanced';
}

/** Model constants, each with why. All are estimates (no synthesis run behind them). */
export const FPGA_CONSTANTS = {
  // DSP48E2 packs two int8 MACs sharing an input (AMD WP486); DSP48E1 lacks the wide
  // pre-adder, so one int8 MAC per DSP. int16 fits the 27x18 (25x18) multiplier: one DSP.
  // fp16 multiply-add via the Floating-Point Operator (PG060): about 2 DSPs + LUTs.
  dspPerMac: { DSP48E2: { int8: 0.5, int16: 1, fp16: 2 }, DSP48E1: { int8: 1, int16: 1, fp16: 2 } },
  lutPerMac: { int8: 20, int16: 12, fp16: 150 },
  /** Per engine: control, address generation, accumulator drain. */
  lutPerEngine: 800,
  /** HP: a Tc:1 read mux per bit per column lane, ~Tc/4 LUT6 each. */
  crossbarLutPerBitPerBank: 0.25,
  /** SFU lane: exp/reciprocal tables + multiply (softmax, LN, GELU). */
  sfuDspPerLane: 3,
  sfuLutPerLane: 400,
  /** Platform shell (DMA, AXI interconnect, host interface) as a share of the chip's LUTs. */
  shellLutShare: 0.08,
  /** Usable shares before routing/timing fail (typical guidance for high-utilisation designs). */
  maxLutShare: 0.75,
  maxBramShare: 0.9,
  /** Published BERT designs use at most ~77% of the DSPs (FQ-BERT on ZCU111; fpga-anchors.ts). */
  maxDspShare: 0.8,
  bram36Bytes: 4096,
  uramBytes: 32768,
  /** Bits per read port of one BRAM36 / URAM (72-bit wide mode). */
  memPortBits: 72,
  /** Engine pipeline: bank read (2) + multiply (4) + adder tree (log2 V) + accumulate (2). */
  enginePipeBase: 8,
  /** SFU pipeline depth (exp/divide). */
  sfuPipe: 24,
  /** Cycles from a DRAM request to its first data beat. */
  dramLatency: 64,
  /** DRAM efficiency: achieved / peak bandwidth for long bursts (typical DDR4/HBM controllers). */
  dramEfficiency: 0.8,
} as const;

export function enginePipeDepth(d: FpgaDesign): number {
  return FPGA_CONSTANTS.enginePipeBase + Math.ceil(Math.log2(Math.max(1, d.V)));
}

/** Bytes DRAM delivers per design clock cycle. */
export function dramBytesPerCycle(board: FpgaBoard): number {
  return (board.bandwidthGBs.value * 1e9 * FPGA_CONSTANTS.dramEfficiency) / (board.clockMHz.value * 1e6);
}

/** How one weight matrix is walked by an engine, per (tile-row, token) unit. */
export type RowCost =
  /** Every unit costs the same (HP: m * ceil(k / V); dense: T * ceil(Tc / V)). */
  | { type: 'uniform'; cycles: number }
  /** Tile-only, unbalanced: `keptTiles` tiles of the TR x T grid kept at random; a unit of
   *  tile-row r costs kept_r * cyclesPerTile. */
  | { type: 'random-tiles'; keptTiles: number; tilesPerRow: number; cyclesPerTile: number }
  /** Vector-sparse without HP's banking: K of `inCols` columns kept anywhere in each tile-row,
   *  read V per cycle from `banks` banks; a unit costs the sum of its groups' max bank loads
   *  (`expectedCycles` on average, see bank-conflicts.ts). */
  | {
      type: 'bank-conflicts';
      keptCols: number;
      inCols: number;
      V: number;
      banks: number;
      expectedCycles: number;
      varianceCycles: number;
    };

/** Cycles per unit when every unit costs the same (uniform). */
export function meanUnitCycles(c: RowCost): number | null {
  return c.type === 'uniform' ? c.cycles : null;
}

export interface EngineJob {
  kind: 'engines';
  name: string;
  instances: number;
  tileRows: number;
  /** Tokens per instance (units per tile-row). */
  tokens: number;
  cost: RowCost;
  /** Streamed weight bytes of one tile-row (0 when on chip); for random tiles, per kept tile. */
  streamBytesPerRow: number;
  /** Whether streamBytesPerRow is per kept tile (tile-only design) rather than per tile-row. */
  streamPerTile: boolean;
  /** Spilled activation bytes moved through DRAM during the op. */
  spillBytes: number;
  /** Useful MACs (for utilisation). */
  macs: number;
}

export interface SfuJob {
  kind: 'sfu';
  name: string;
  elements: number;
  passes: number;
  spillBytes: number;
}
export interface DramJob {
  kind: 'dram';
  name: string;
  bytes: number;
}
export type PlanJob = EngineJob | SfuJob | DramJob;

export interface Resources {
  dsp: number;
  lut: number;
  bram36: number;
  uram: number;
}

export interface FpgaPlan {
  design: FpgaDesign;
  board: FpgaBoard;
  jobs: PlanJob[];
  weightsOnChip: boolean;
  activationsOnChip: boolean;
  /** Encoder + head weight bytes in this design's format. */
  weightBytes: number;
  activationBytes: number;
  resources: Resources;
  /** Why the design does not fit the board, or null. */
  misfit: string | null;
}

/** Which pruning patterns a design can execute with its sparsity (others: not this design).
 *  The pruning module's tile (k = Tc) and vector (m = all tiles) patterns are HP special cases,
 *  so the HP engines run them; the tile-only design runs whole tiles only. */
export function archRuns(arch: FpgaArch, s: SparsityConfig): boolean {
  if (arch === 'dense') return true; // runs any pruned model, zeros included
  if (arch === 'hp') return isHPStructured(s.pattern) || s.pattern === 'dense';
  if (arch === 'vector') return s.pattern === 'vector' || s.pattern === 'dense';
  return s.pattern === 'tile' || s.pattern === 'dense';
}

interface MatrixWalk {
  cost: RowCost;
  tileRows: number;
  keptValues: number;
  indexBytes: number;
  streamPerTile: boolean;
  tilesPerRow: number;
}

/** How a design walks one linear (out x in) at the workload's sparsity. */
function walkLinear(d: FpgaDesign, s: SparsityConfig, out: number, inn: number, pruned: boolean): MatrixWalk {
  const tileRows = Math.ceil(out / d.tr);
  const T = Math.ceil(inn / d.tc);
  const denseWalk: MatrixWalk = {
    cost: { type: 'uniform', cycles: T * Math.ceil(d.tc / d.V) },
    tileRows,
    keptValues: tileRows * T * d.tr * d.tc,
    indexBytes: 0,
    streamPerTile: false,
    tilesPerRow: T,
  };
  if (!pruned || d.arch === 'dense' || s.pattern === 'dense') return denseWalk;
  if (d.arch === 'hp') {
    // HP engines: m kept tiles per tile-row, k kept columns per tile (tile pattern: k = Tc;
    // vector pattern: m = T).
    const m = clampInt(Math.round(s.tileDensity * T), 1, T);
    const k = clampInt(Math.round(s.vectorDensity * d.tc), 1, d.tc);
    // HP format: u16 tile-column per kept tile, u8 column offset per kept column.
    return {
      cost: { type: 'uniform', cycles: m * Math.ceil(k / d.V) },
      tileRows,
      keptValues: tileRows * m * k * d.tr,
      indexBytes: tileRows * m * (2 + k),
      streamPerTile: false,
      tilesPerRow: T,
    };
  }
  if (d.arch === 'vector') {
    // K kept columns per tile-row anywhere in the row; u16 column index per kept vector.
    const K = clampInt(Math.round(s.density * inn), 1, inn);
    const { mean: expectedCycles, variance: varianceCycles } = rowCycleMoments(K, inn, d.V, d.tc);
    return {
      cost: { type: 'bank-conflicts', keptCols: K, inCols: inn, V: d.V, banks: d.tc, expectedCycles, varianceCycles },
      tileRows,
      keptValues: tileRows * K * d.tr,
      indexBytes: tileRows * K * 2,
      streamPerTile: false,
      tilesPerRow: T,
    };
  }
  const kept = clampInt(Math.round(s.density * tileRows * T), 1, tileRows * T);
  const cyclesPerTile = Math.ceil(d.tc / d.V);
  // Block-sparse (BCSR-like): u16 tile-column per kept tile + u16 row pointer per tile-row.
  const indexBytes = kept * 2 + tileRows * 2;
  if (d.tileBalance === 'balanced') {
    const m = clampInt(Math.round(kept / tileRows), 1, T);
    return {
      cost: { type: 'uniform', cycles: m * cyclesPerTile },
      tileRows,
      keptValues: tileRows * m * d.tr * d.tc,
      indexBytes,
      streamPerTile: false,
      tilesPerRow: T,
    };
  }
  return {
    cost: { type: 'random-tiles', keptTiles: kept, tilesPerRow: T, cyclesPerTile },
    tileRows,
    keptValues: kept * d.tr * d.tc,
    indexBytes,
    streamPerTile: true,
    tilesPerRow: T,
  };
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Live activations at the widest point of a layer: x, Q, K, V, context (5 x N x h), the FFN
 *  intermediate (N x ffn) and one head's score matrix (L x L). */
export function activationBytes(w: Workload, bits: BitWidth): number {
  const n = w.batch * w.seq;
  return (n * (5 * w.config.hidden + w.config.ffn) + w.seq * w.seq) * VALUE_BYTES[bits];
}

export function designResources(board: FpgaBoard, d: FpgaDesign): Omit<Resources, 'bram36' | 'uram'> {
  const C = FPGA_CONSTANTS;
  const lanes = d.P * d.tr * d.V;
  const bitsN = VALUE_BYTES[d.bits] * 8;
  const crossbar = d.arch === 'hp' || d.arch === 'vector' ? d.P * d.V * d.tc * bitsN * C.crossbarLutPerBitPerBank : 0;
  return {
    dsp: Math.ceil(lanes * C.dspPerMac[board.dspFamily][d.bits] + d.sfuLanes * C.sfuDspPerLane),
    lut: Math.ceil(
      lanes * C.lutPerMac[d.bits] +
        d.P * C.lutPerEngine +
        crossbar +
        d.sfuLanes * C.sfuLutPerLane +
        board.lut.value * C.shellLutShare,
    ),
  };
}

/** Builds the per-op plan of a design on a board for a workload (no fit check on compute). */
export function buildPlan(board: FpgaBoard, d: FpgaDesign, w: Workload): FpgaPlan {
  validateDesign(d);
  const C = FPGA_CONSTANTS;
  const b = VALUE_BYTES[d.bits];
  const s = w.sparsity;
  const walks = new Map<Op, MatrixWalk>();
  let weightBytes = 0;
  let maxRowBytes = 0;
  for (const op of w.ops) {
    if (op.kind !== 'linear' || !op.mm) continue;
    const walk = walkLinear(d, s, op.mm.out, op.mm.in, op.mm.pruned);
    walks.set(op, walk);
    weightBytes += walk.keptValues * b + walk.indexBytes;
    const rowBytes = walk.streamPerTile ? d.tr * d.tc * b + 2 : (walk.keptValues * b + walk.indexBytes) / walk.tileRows;
    maxRowBytes = Math.max(maxRowBytes, rowBytes);
  }
  const actBytes = activationBytes(w, d.bits);
  const { dsp, lut } = designResources(board, d);

  // Memory: engine input banks (Tc BRAM18 = Tc/2 BRAM36 each) first, then activations and
  // weights in URAM + the remaining BRAM. Weights on chip also need Tr*V*bits of read ports
  // per engine (one 72-bit port per BRAM36/URAM).
  const bramUsable = Math.floor(board.bram36.value * C.maxBramShare);
  const bankBram = d.P * Math.ceil(d.tc / 2);
  const portsPerEngine = Math.ceil((d.tr * d.V * b * 8) / C.memPortBits);
  const blocksFor = (bytes: number) => Math.ceil(bytes / C.bram36Bytes);
  const capacity = (bramLeft: number) => Math.max(0, bramLeft) * C.bram36Bytes + board.uram.value * C.uramBytes;
  const memLeft = bramUsable - bankBram;
  const activationsOnChip = actBytes <= capacity(memLeft);
  const weightPorts = d.P * portsPerEngine;
  const weightsOnChip =
    activationsOnChip && actBytes + weightBytes <= capacity(memLeft) && weightPorts <= memLeft + board.uram.value;
  // Streamed: each engine double-buffers its current tile-row, with the same port width.
  const streamBufBlocks = d.P * Math.max(portsPerEngine, blocksFor(2 * maxRowBytes));
  const onChipBytes = (activationsOnChip ? actBytes : 0) + (weightsOnChip ? weightBytes : 0);
  const uramUsed = Math.min(board.uram.value, Math.ceil(onChipBytes / C.uramBytes));
  const bramForData = blocksFor(Math.max(0, onChipBytes - uramUsed * C.uramBytes));
  const bram36 =
    bankBram + (weightsOnChip ? Math.max(bramForData, weightPorts - uramUsed) : bramForData + streamBufBlocks);
  const resources: Resources = { dsp, lut, bram36, uram: uramUsed };

  let misfit: string | null = null;
  if (dsp > board.dsp.value * C.maxDspShare) misfit = `needs ${dsp} DSPs, board has ${board.dsp.value}`;
  else if (lut > board.lut.value * C.maxLutShare)
    misfit = `needs ${lut} LUTs, over ${Math.round(C.maxLutShare * 100)}% of ${board.lut.value}`;
  else if (bram36 > bramUsable)
    misfit = `needs ${bram36} BRAM36, over ${Math.round(C.maxBramShare * 100)}% of ${board.bram36.value}`;

  const spill = (op: Op) => (activationsOnChip ? 0 : op.activationValues * b);
  const jobs: PlanJob[] = [];
  for (const op of w.ops) {
    if (op.kind === 'linear' && op.mm) {
      const walk = walks.get(op)!;
      const rowBytes = weightsOnChip
        ? 0
        : walk.streamPerTile
          ? d.tr * d.tc * b + 2
          : (walk.keptValues * b + walk.indexBytes) / walk.tileRows;
      jobs.push({
        kind: 'engines',
        name: op.name,
        instances: 1,
        tileRows: walk.tileRows,
        tokens: op.mm.rows,
        cost: walk.cost,
        streamBytesPerRow: rowBytes,
        streamPerTile: walk.streamPerTile,
        spillBytes: spill(op),
        macs: op.flops / 2,
      });
    } else if (op.kind === 'attn-matmul' && op.mm) {
      const walk = walkLinear(d, s, op.mm.out, op.mm.in, false);
      jobs.push({
        kind: 'engines',
        name: op.name,
        instances: op.mm.instances,
        tileRows: walk.tileRows,
        tokens: op.mm.rows,
        cost: walk.cost,
        streamBytesPerRow: 0,
        streamPerTile: false,
        spillBytes: spill(op),
        macs: op.flops / 2,
      });
    } else if (op.kind === 'embedding') {
      jobs.push({ kind: 'dram', name: op.name, bytes: op.weightValues * b });
    } else if (op.kind === 'residual') {
      continue; // fused into the following LayerNorm's first pass
    } else {
      const passes = op.kind === 'gelu' ? 1 : 2;
      jobs.push({ kind: 'sfu', name: op.name, elements: op.elements ?? 0, passes, spillBytes: spill(op) });
    }
  }
  return {
    design: d,
    board,
    jobs,
    weightsOnChip,
    activationsOnChip,
    weightBytes,
    activationBytes: actBytes,
    resources,
    misfit,
  };
}

export function validateDesign(d: FpgaDesign): void {
  const pos = (v: number) => Number.isInteger(v) && v >= 1;
  if (
    !pos(d.P) ||
    !pos(d.tr) ||
    !pos(d.tc) ||
    !pos(d.V) ||
    !pos(d.sfuLanes) ||
    d.V > d.tc ||
    !(d.bits in VALUE_BYTES)
  ) {
    throw new RangeError(`invalid FPGA design ${JSON.stringify(d)}`);
  }
}

/** SFU lanes sized to the MAC array: 1/16 of the MAC lanes, a power of two in [4, 1024].
 *  Why 1/16: softmax has one element per dh (= 64 in BERT-base, 26 in TinyBERT) MACs of QK^T and
 *  takes 2 passes, so 1/16 keeps softmax within ~1-2x of the QK^T time. */
export function defaultSfuLanes(P: number, tr: number, V: number): number {
  const want = Math.ceil((P * tr * V) / 16);
  return Math.min(1024, Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, want)))));
}
