// Page side of the hardware worker (selection, paper view, simulation), with crash restart.
import { spawnWorker } from './spawn';
import type { HardwareWorkerApi, SimulateRequest, SimulateResult } from './hardware.worker';
import type { PaperRow, PaperViewInput } from '../core/explore/paper-view';
import type { PaperClaim, PaperClaimsInput } from '../core/explore/paper-claims';
import type { SelectionInput, SelectionResult } from '../core/explore/select';

const worker = spawnWorker<HardwareWorkerApi>('device model', () => new Worker(new URL('./hardware.worker.ts', import.meta.url), { type: 'module' }));

export function selectDevice(input: SelectionInput): Promise<SelectionResult> {
  return worker.call((api) => api.select(input));
}

export function computePaperView(input: PaperViewInput): Promise<PaperRow[]> {
  return worker.call((api) => api.paperView(input));
}

export function checkPaperClaims(input: PaperClaimsInput): Promise<PaperClaim[]> {
  return worker.call((api) => api.paperClaims(input));
}

export function simulateBoard(req: SimulateRequest): Promise<SimulateResult> {
  return worker.call((api) => api.simulate(req));
}
