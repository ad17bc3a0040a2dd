// Probes WebGPU from inside a worker: the pruning, kernel and encoder workers need it there,
// and some browsers expose navigator.gpu to pages only.
import * as Comlink from 'comlink';
import { acquireGpu, GpuUnavailableError, type GpuCapabilities } from '../gpu/adapter';

export type WorkerGpuProbe = { available: true; caps: GpuCapabilities } | { available: false; message: string };

const api = {
  async probe(): Promise<WorkerGpuProbe> {
    try {
      const { device, caps } = await acquireGpu((self.navigator as Navigator & { gpu?: GPU }).gpu);
      device.destroy();
      return { available: true, caps };
    } catch (err) {
      return { available: false, message: err instanceof GpuUnavailableError ? err.message : String(err) };
    }
  },
};

export type ProbeWorkerApi = typeof api;
Comlink.expose(api);
