// Probes WebGPU from inside a worker: lab/GpuProbe, exposed (endpoint.ts).
import { GpuProbe } from '../lab/gpu-probe';
import { exposeService, type ServiceApi } from './endpoint';

export type { WorkerGpuProbe } from '../lab/gpu-probe';
export type ProbeWorkerApi = ServiceApi<GpuProbe>;

exposeService(new GpuProbe((self.navigator as Navigator & { gpu?: GPU }).gpu));
