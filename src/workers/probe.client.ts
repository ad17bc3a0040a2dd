import { spawnWorker } from './spawn';
import type { ProbeWorkerApi, WorkerGpuProbe } from './probe.worker';

/** Asks a short-lived worker whether WebGPU works there too. */
export async function probeGpuInWorker(): Promise<WorkerGpuProbe> {
  const worker = spawnWorker<ProbeWorkerApi>(
    'GPU probe',
    () => new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' }),
  );
  try {
    return await worker.call<WorkerGpuProbe>((api) => api.probe() as Promise<WorkerGpuProbe>);
  } finally {
    worker.terminate();
  }
}
