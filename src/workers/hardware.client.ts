// Page side of the hardware worker (selection, paper view, simulation), with crash restart.
import { serviceClient } from './service-client';
import type { HardwareWorkerApi, SimulateRequest, SimulateResult } from './hardware.worker';
import type { PaperRow, PaperViewInput } from '../core/explore/paper-view';
import type { PaperClaim, PaperClaimsInput } from '../core/explore/paper-claims';
import type { SelectionInput, SelectionResult } from '../core/explore/select';

const worker = serviceClient<HardwareWorkerApi>(
  'device model',
  () => new Worker(new URL('./hardware.worker.ts', import.meta.url), { type: 'module' }),
  { lazy: true }, // started by its first search, which the page makes after its first number
);

export function selectDevice(input: SelectionInput): Promise<SelectionResult> {
  return worker.request((api) => api.select(input));
}

export function computePaperView(input: PaperViewInput): Promise<PaperRow[]> {
  return worker.request((api) => api.paperView(input));
}

export function checkPaperClaims(input: PaperClaimsInput): Promise<PaperClaim[]> {
  return worker.request((api) => api.paperClaims(input));
}

export function simulateBoard(req: SimulateRequest): Promise<SimulateResult> {
  return worker.request((api) => api.simulate(req));
}
