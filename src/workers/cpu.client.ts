import * as Comlink from 'comlink';
import { spawnWorker } from './spawn';
import type { CpuMeasureRequest, CpuShapeMeasurement, CpuWorkerApi } from './cpu.worker';

const worker = spawnWorker<CpuWorkerApi>('CPU benchmark', () => new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module' }));

export function measureCpu(req: CpuMeasureRequest, onProgress: (done: number, total: number) => void): Promise<CpuShapeMeasurement[]> {
  return worker.call((api) => api.measure(req, Comlink.proxy(onProgress)));
}
