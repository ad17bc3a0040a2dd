// Accuracy in a worker with onnxruntime-web (WebGPU when the visitor has a GPU and ORT's WebGPU
// backend starts, wasm otherwise): lab/EvalSession, exposed (endpoint.ts).
import { configureOrt, warmUpOrt } from '../eval/ort-session';
import { EvalSession } from '../lab/eval-session';
import { exposeService, type ServiceApi } from './endpoint';
import { holdLifeLock } from './life-lock';

export type { DatasetInfo, EvalRequest, EvalSummary, ModelTiming, SessionInfo } from '../lab/eval-session';
/** holdLifeLock: liveness (spawn.ts), held until this worker ends, however it ends. */
export type EvalWorkerApi = ServiceApi<EvalSession> & { holdLifeLock: typeof holdLifeLock };

configureOrt();
// The runtime starts while the page downloads the model (the first accuracy waits for both).
void warmUpOrt();
exposeService(new EvalSession(), { extra: { holdLifeLock } });
