// Accuracy in a worker with onnxruntime-web (WebGPU when the visitor has a GPU and ORT's WebGPU
// backend starts, wasm otherwise): lab/EvalSession, each answer wrapped so typed errors survive
// the trip (model-result.ts).
import * as Comlink from 'comlink';
import { EvalCancelledError } from '../eval/accuracy';
import { configureOrt, type OrtBackend } from '../eval/ort-session';
import { EvalSession, type DatasetInfo, type EvalRequest, type EvalSummary, type ModelTiming, type SessionInfo } from '../lab/eval-session';
import { capture, type WorkerResult } from './model-result';
import { holdLifeLock } from './life-lock';

export type { DatasetInfo, EvalRequest, EvalSummary, ModelTiming, SessionInfo } from '../lab/eval-session';

configureOrt();
const session = new EvalSession();

const api = {
  /** Liveness (spawn.ts): held until this worker ends, however it ends. */
  holdLifeLock,
  loadTokenizer(url: string, configUrl?: string): Promise<WorkerResult<{ vocab: number }>> {
    return capture(() => session.loadTokenizer(url, configUrl));
  },
  loadDataset(source: { url: string } | { bytes: Uint8Array; name: string }, modelLabels?: number): Promise<WorkerResult<DatasetInfo>> {
    return capture(() => session.loadDataset(source, modelLabels));
  },
  setModel(bytes: Uint8Array, backend: 'auto' | OrtBackend = 'auto'): Promise<WorkerResult<SessionInfo>> {
    return capture(() => session.setModel(bytes, backend));
  },
  evaluate(id: number, req: EvalRequest, onProgress?: (done: number, total: number) => void): Promise<WorkerResult<EvalSummary>> {
    return capture(() => session.evaluate(id, req, onProgress));
  },
  cancel(id: number): void {
    session.cancel(id);
  },
  timeModel(batch: number, seq: number, budgetMs?: number): Promise<WorkerResult<ModelTiming>> {
    return capture(() => session.timeModel(batch, seq, budgetMs));
  },
};

export { EvalCancelledError };
export type EvalWorkerApi = typeof api;
Comlink.expose(api);
