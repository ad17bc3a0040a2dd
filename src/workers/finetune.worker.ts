// The fine-tuning worker (WebGPU exists in dedicated workers): lab/FineTuneService, exposed. The
// trained ONNX and .hpw of a run are made for the caller: transferred, not copied.
import { FineTuneService } from '../lab/finetune-service';
import { exposeService, type ServiceApi } from './endpoint';

export type { CheckpointInfo, FineTuneRequest, FineTuneRunResult } from '../lab/finetune-experiment';
export type { FineTuneProgress } from '../lab/finetune';
export type { UnlabelledInfo } from '../lab/finetune-service';
export type FineTuneWorkerApi = ServiceApi<FineTuneService>;

exposeService(new FineTuneService((self.navigator as Navigator & { gpu?: GPU }).gpu), {
  transfer: { run: (r) => [r.onnx.buffer as ArrayBuffer, r.hpw.buffer as ArrayBuffer] },
});
