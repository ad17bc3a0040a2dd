import * as Comlink from 'comlink';
import { serviceClient } from './service-client';
import type { CpuMeasureRequest, CpuShapeMeasurement, CpuWorkerApi } from './cpu.worker';

const worker = serviceClient<CpuWorkerApi>(
  'CPU benchmark',
  () => new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module' }),
  { lazy: true }, // started by the visitor's first measurement
);

export function measureCpu(
  req: CpuMeasureRequest,
  onProgress: (done: number, total: number) => void,
): Promise<CpuShapeMeasurement[]> {
  return worker.request((api) => api.measure(req, Comlink.proxy(onProgress)));
}
