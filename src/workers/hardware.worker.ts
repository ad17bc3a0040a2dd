// Device models and selection off the main thread: the FPGA design search over every board and
// sweep point takes a second or two, the cycle-stepped simulation longer. Thin over core/.
import * as Comlink from 'comlink';
import { CATALOG } from '../core/hardware/catalog';
import type { FpgaDesign } from '../core/hardware/fpga-design';
import { estimateFpga } from '../core/hardware/fpga-model';
import { calibratedFpgaMs } from '../core/hardware/fpga-calibration';
import { simulateFpga } from '../core/hardware/fpga-sim';
import { bertWorkload, type SparsityConfig } from '../core/hardware/workload';
import type { BertConfig } from '../core/model/bert-types';
import { DeviceEvaluator } from '../core/explore/devices';
import { paperView, type PaperRow, type PaperViewInput } from '../core/explore/paper-view';
import { paperClaims, type PaperClaim, type PaperClaimsInput } from '../core/explore/paper-claims';
import { select, type SelectionInput, type SelectionResult } from '../core/explore/select';

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

// One evaluator per workload + options: moving LC/AC/objective re-ranks cached evaluations.
const evaluators = new Map<string, DeviceEvaluator>();
function evaluatorFor(input: SelectionInput): DeviceEvaluator {
  const key = JSON.stringify([input.config, input.batch, input.seq, input.measured ?? [], input.fpgaArchs ?? null, input.bitWidths ?? null, input.tileBalance ?? null]);
  let ev = evaluators.get(key);
  if (!ev) {
    if (evaluators.size > 8) evaluators.clear();
    ev = new DeviceEvaluator(input.config, input.batch, input.seq, input);
    evaluators.set(key, ev);
  }
  return ev;
}

const api = {
  catalog() {
    return CATALOG;
  },
  select(input: SelectionInput): SelectionResult {
    return select(input, evaluatorFor(input));
  },
  paperView(input: PaperViewInput): PaperRow[] {
    return paperView(input);
  },
  paperClaims(input: PaperClaimsInput): PaperClaim[] {
    return paperClaims(input);
  },
  simulate(req: SimulateRequest): SimulateResult {
    const board = CATALOG.fpgas.find((b) => b.id === req.boardId);
    if (!board) throw new Error(`unknown board '${req.boardId}'`);
    const w = bertWorkload(req.config, req.batch, req.seq, req.sparsity);
    let design = req.design;
    if (!design) {
      const ev = new DeviceEvaluator(req.config, req.batch, req.seq);
      const e = ev.evaluate(ev.devices.find((d) => d.id === board.id)!, req.sparsity);
      if (!e.ok || !e.design) throw new Error(`no HP design fits ${board.name}: ${e.reason}`);
      design = e.design;
    }
    const a = estimateFpga(board, design, w);
    const calibratedMs = calibratedFpgaMs(board, a);
    const t0 = performance.now();
    const s = simulateFpga(board, design, w, { draws: req.draws ?? 8, maxCyclesPerOp: 2e8 });
    const simWallMs = performance.now() - t0;
    return {
      design, analyticMs: a.latencyMs, simulatedMs: s.latencyMs, calibratedMs, deviation: s.latencyMs / a.latencyMs - 1,
      ops: a.ops.map((o, i) => ({ name: o.name, analyticCycles: o.cycles, simulatedCycles: s.ops[i].cycles })), simWallMs,
    };
  },
};

export type HardwareWorkerApi = typeof api;
Comlink.expose(api);
