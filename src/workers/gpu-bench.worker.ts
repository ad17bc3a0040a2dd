// "Measure my GPU" in a worker (WebGPU exists in dedicated workers in Chromium):
// lab/GpuBenchService, exposed (endpoint.ts).
import { GpuBenchService } from '../lab/gpu-bench-service';
import { exposeService, type ServiceApi } from './endpoint';

export type {
  GpuBenchCase,
  GpuBenchProgress,
  GpuBenchRequest,
  GpuBenchResult,
  GpuBenchRow,
  PeerRow,
} from '../lab/gpu-bench-service';
export type GpuBenchWorkerApi = ServiceApi<GpuBenchService>;

exposeService(new GpuBenchService((self.navigator as Navigator & { gpu?: GPU }).gpu));
