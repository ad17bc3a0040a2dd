import * as Comlink from 'comlink';
import { spawnWorker } from './spawn';
import type { GpuBenchProgress, GpuBenchRequest, GpuBenchResult, GpuBenchWorkerApi } from './gpu-bench.worker';

const worker = spawnWorker<GpuBenchWorkerApi>(
  'GPU benchmark',
  () => new Worker(new URL('./gpu-bench.worker.ts', import.meta.url), { type: 'module' }),
);

export function measureGpu(req: GpuBenchRequest, onProgress: GpuBenchProgress): Promise<GpuBenchResult> {
  return worker.call((api) => api.measure(req, Comlink.proxy(onProgress)));
}

/** True for the worker's GpuDeviceLostError (errors cross Comlink by name and message). */
export function isDeviceLost(err: unknown): boolean {
  return (err as Error)?.name === 'GpuDeviceLostError';
}

/** Loses the worker's device as a driver reset would (the page's diagnostics hook). */
export function simulateBenchGpuLoss(): Promise<void> {
  return worker.call((api) => api.simulateLoss());
}
