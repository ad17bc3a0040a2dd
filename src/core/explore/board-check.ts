// One FPGA board checked at one configuration, as the Devices panel shows it: the design the
// selection uses for it (same search, same bit widths), its calibrated latency (what Choose a
// device reports), and the analytic model against the cycle-stepped simulation. Written once
// here so Devices and Choose cannot drift apart (issue 16).
import { CATALOG } from '../hardware/catalog';
import type { FpgaDesign } from '../hardware/fpga-design';
import { estimateFpga } from '../hardware/fpga-model';
import { calibratedFpgaMs } from '../hardware/fpga-calibration';
import { simulateFpga } from '../hardware/fpga-sim';
import { bertWorkload, type SparsityConfig } from '../hardware/workload';
import type { BertConfig } from '../model/bert-types';
import { DeviceEvaluator } from './devices';

export interface SimulateRequest {
  boardId: string;
  config: BertConfig;
  batch: number;
  seq: number;
  sparsity: SparsityConfig;
  /** A design to simulate; default: the design the selection uses for this board and
   *  configuration (DeviceEvaluator: same bit widths, same search), so Devices and Choose a
   *  device show one latency per board and configuration. */
  design?: FpgaDesign;
  draws?: number;
}

export interface SimulateResult {
  design: FpgaDesign;
  analyticMs: number;
  simulatedMs: number;
  /** The latency Choose a device uses: analytic, calibrated against published designs. */
  calibratedMs: number;
  /** simulated / analytic - 1. */
  deviation: number;
  ops: Array<{ name: string; analyticCycles: number; simulatedCycles: number }>;
  simWallMs: number;
}

export function simulateBoard(req: SimulateRequest): SimulateResult {
  const board = CATALOG.fpgas.find((b) => b.id === req.boardId);
  if (!board) throw new Error(`unknown board '${req.boardId}'`);
  const w = bertWorkload(req.config, req.batch, req.seq, req.sparsity);
  let design = req.design;
  if (!design) {
    const ev = new DeviceEvaluator(req.config, req.batch, req.seq);
    const e = ev.evaluate(
      ev.devices.find((d) => d.id === board.id)!,
      req.sparsity,
    );
    if (!e.ok || !e.design) throw new Error(`no HP design fits ${board.name}: ${e.reason}`);
    design = e.design;
  }
  const a = estimateFpga(board, design, w);
  const calibratedMs = calibratedFpgaMs(board, a);
  const t0 = performance.now();
  const s = simulateFpga(board, design, w, { draws: req.draws ?? 8, maxCyclesPerOp: 2e8 });
  const simWallMs = performance.now() - t0;
  return {
    design,
    analyticMs: a.latencyMs,
    simulatedMs: s.latencyMs,
    calibratedMs,
    deviation: s.latencyMs / a.latencyMs - 1,
    ops: a.ops.map((o, i) => ({ name: o.name, analyticCycles: o.cycles, simulatedCycles: s.ops[i].cycles })),
    simWallMs,
  };
}
