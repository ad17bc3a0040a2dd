// Measures the visitor's CPU off the main thread: lab/CpuBench, exposed (endpoint.ts).
import { CpuBench } from '../lab/cpu-bench';
import { exposeService, type ServiceApi } from './endpoint';

export type { CpuMeasureRequest, CpuShapeMeasurement } from '../lab/cpu-bench';
export type CpuWorkerApi = ServiceApi<CpuBench>;

exposeService(new CpuBench());
