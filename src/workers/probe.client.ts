import { serviceClient } from './service-client';
import type { ProbeWorkerApi, WorkerGpuProbe } from './probe.worker';

/** Asks a short-lived worker whether WebGPU works there too. */
export async function probeGpuInWorker(): Promise<WorkerGpuProbe> {
  const worker = serviceClient<ProbeWorkerApi>(
    'GPU probe',
    () => new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' }),
  );
  try {
    return await worker.request((api) => api.probe());
  } finally {
    worker.terminate();
  }
}
