// Device models and selection off the main thread: lab/DeviceLab, exposed (endpoint.ts).
import { DeviceLab } from '../lab/device-lab';
import { exposeService, type ServiceApi } from './endpoint';

export type { SimulateRequest, SimulateResult } from '../core/explore/board-check';
export type HardwareWorkerApi = ServiceApi<DeviceLab>;

exposeService(new DeviceLab());
