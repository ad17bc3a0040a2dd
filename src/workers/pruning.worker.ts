// The pruning worker: lab/PruningService, exposed (endpoint.ts). Masks, pruned ONNX and .hpw
// files are made for the caller: transferred, not copied.
import { PruningService } from '../lab/pruning-service';
import { exposeService, type ServiceApi } from './endpoint';
import { holdLifeLock } from './life-lock';
import { workerHelpers } from './recover-shards';

export type { CalibrationRequest } from '../lab/calibration-set';
export type { MaskView, PruneOutcome } from '../lab/pruning-service';
export type { MatrixInfo } from '../lab/prune-session';
/** holdLifeLock: liveness (spawn.ts), held until this worker ends, however it ends. */
export type PruningWorkerApi = ServiceApi<PruningService> & { holdLifeLock: typeof holdLifeLock };

const buffer = (a: Uint8Array) => a.buffer as ArrayBuffer;

exposeService(new PruningService(workerHelpers), {
  extra: { holdLifeLock },
  transfer: {
    prune: (r) => (r.mask ? [buffer(r.mask.data)] : []),
    maskOf: (r) => [buffer(r.data)],
    prunedOnnx: (r) => [buffer(r)],
    prunedOnnxFor: (r) => [buffer(r.bytes)],
    hpwFile: (r) => [buffer(r)],
  },
});
