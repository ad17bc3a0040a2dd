// The GPU worker (WebGPU exists in dedicated workers in Chromium): lab/EncoderService, exposed.
// The pruned ONNX of a run is made for the caller: transferred, not copied.
import { EncoderService } from '../lab/encoder-service';
import { exposeService, type ServiceApi } from './endpoint';

export type { EncoderRunProfile, EncoderRunRequest, EncoderRunResult } from '../lab/encoder-experiment';
export type EncoderWorkerApi = ServiceApi<EncoderService>;

exposeService(new EncoderService((self.navigator as Navigator & { gpu?: GPU }).gpu), {
  transfer: { run: (r) => (r.prunedOnnx ? [r.prunedOnnx.buffer as ArrayBuffer] : []) },
});
