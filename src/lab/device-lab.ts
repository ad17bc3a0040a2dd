// The device models and the selection as a service (the hardware worker exposes it): the FPGA
// design search over every board and sweep point takes a second or two, the cycle-stepped
// simulation longer. One evaluator per workload and options is kept, so moving LC, AC or the
// objective re-ranks cached evaluations.
import { DeviceEvaluator } from '../core/explore/devices';
import { simulateBoard, type SimulateRequest, type SimulateResult } from '../core/explore/board-check';
import { paperView, type PaperRow, type PaperViewInput } from '../core/explore/paper-view';
import { paperClaims, type PaperClaim, type PaperClaimsInput } from '../core/explore/paper-claims';
import { select, type SelectionInput, type SelectionResult } from '../core/explore/select';

const MAX_EVALUATORS = 8;

export class DeviceLab {
  private readonly evaluators = new Map<string, DeviceEvaluator>();

  private evaluatorFor(input: SelectionInput): DeviceEvaluator {
    const { config, batch, seq, measured, fpgaArchs, bitWidths, tileBalance } = input;
    const options = [measured ?? [], fpgaArchs ?? null, bitWidths ?? null, tileBalance ?? null];
    const key = JSON.stringify([config, batch, seq, ...options]);
    let ev = this.evaluators.get(key);
    if (!ev) {
      if (this.evaluators.size > MAX_EVALUATORS) this.evaluators.clear();
      ev = new DeviceEvaluator(config, batch, seq, input);
      this.evaluators.set(key, ev);
    }
    return ev;
  }

  select(input: SelectionInput): SelectionResult {
    return select(input, this.evaluatorFor(input));
  }

  paperView(input: PaperViewInput): PaperRow[] {
    return paperView(input);
  }

  paperClaims(input: PaperClaimsInput): PaperClaim[] {
    return paperClaims(input);
  }

  simulate(req: SimulateRequest): SimulateResult {
    return simulateBoard(req);
  }
}
