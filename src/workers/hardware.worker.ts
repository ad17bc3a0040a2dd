// Device models and selection off the main thread: the FPGA design search over every board and
// sweep point takes a second or two, the cycle-stepped simulation longer. Thin over core/.
import * as Comlink from 'comlink';
import { CATALOG } from '../core/hardware/catalog';
import { DeviceEvaluator } from '../core/explore/devices';
import { simulateBoard, type SimulateRequest, type SimulateResult } from '../core/explore/board-check';
import { paperView, type PaperRow, type PaperViewInput } from '../core/explore/paper-view';
import { paperClaims, type PaperClaim, type PaperClaimsInput } from '../core/explore/paper-claims';
import { select, type SelectionInput, type SelectionResult } from '../core/explore/select';

export type { SimulateRequest, SimulateResult } from '../core/explore/board-check';

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
    return simulateBoard(req);
  },
};

export type HardwareWorkerApi = typeof api;
Comlink.expose(api);
