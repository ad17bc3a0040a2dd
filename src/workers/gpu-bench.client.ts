// Page side of the GPU benchmark worker. It holds no state of the page's: a restarted worker
// acquires a fresh device on the next run.
import * as Comlink from 'comlink';
import { serviceClient } from './service-client';
import type { GpuBenchProgress, GpuBenchRequest, GpuBenchResult, GpuBenchWorkerApi } from './gpu-bench.worker';

const worker = serviceClient<GpuBenchWorkerApi>(
  'GPU benchmark',
  () => new Worker(new URL('./gpu-bench.worker.ts', import.meta.url), { type: 'module' }),
  { lazy: true }, // started by the visitor's first measurement
);

export function measureGpu(req: GpuBenchRequest, onProgress: GpuBenchProgress): Promise<GpuBenchResult> {
  return worker.request((api) => api.measure(req, Comlink.proxy(onProgress)));
}

/** The visitor stopped a measurement (cancelMeasureGpu): a choice, not a failure. */
export class MeasureCancelledError extends Error {
  constructor() {
    super('Measurement cancelled.');
    this.name = 'MeasureCancelledError';
  }
}

/** Stops the measurement in progress at once: a single kernel's timing can run for a minute on a
 *  software adapter, so the worker is ended (its device with it), not asked to stop between cases.
 *  The running measureGpu rejects with MeasureCancelledError; the next one starts a fresh worker. */
export function cancelMeasureGpu(): void {
  worker.stop(new MeasureCancelledError());
}

/** True for the worker's GpuDeviceLostError (errors cross the worker by name and message). */
export function isDeviceLost(err: unknown): boolean {
  return (err as Error)?.name === 'GpuDeviceLostError';
}

/** Loses the worker's device as a driver reset would (the page's diagnostics hook). */
export function simulateBenchGpuLoss(): Promise<void> {
  return worker.request((api) => api.simulateLoss());
}
