// Whether WebGPU works in this context (the probe worker exposes it: the pruning, kernel and
// encoder workers need it there, and some browsers expose navigator.gpu to pages only). Acquires
// through GpuLease like every other user, then closes the device: a probe keeps nothing.
import { GpuUnavailableError, type GpuCapabilities } from '../gpu/adapter';
import { GpuLease } from '../gpu/gpu-lease';

export type WorkerGpuProbe = { available: true; caps: GpuCapabilities } | { available: false; message: string };

export class GpuProbe {
  constructor(private readonly gpu: GPU | undefined) {}

  /** Never throws: no GPU is an answer. */
  async probe(): Promise<WorkerGpuProbe> {
    const lease = new GpuLease(this.gpu);
    try {
      const { caps } = await lease.get();
      return { available: true, caps };
    } catch (err) {
      return { available: false, message: err instanceof GpuUnavailableError ? err.message : String(err) };
    } finally {
      await lease.close();
    }
  }
}
