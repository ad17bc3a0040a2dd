// Page side of the pruning worker. `prune` drops stale requests: when a newer call arrives before
// an older one has started, the older resolves to null (the sliders move faster than pruning).
import * as Comlink from 'comlink';
import type { ValueType } from '../core/formats/hp';
import type { PruneConfig, PruneReport } from '../core/pruning';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { RecoverProgress } from '../core/recover/sequential';
import { spawnWorker } from './spawn';
import type { CalibrationRequest, MatrixInfo, PruneOutcome, PruningWorkerApi } from './pruning.worker';

export type { MatrixInfo, PruneOutcome };

let loaded: Uint8Array | null = null;
let norms: Float32Array[] | null = null;
const worker = spawnWorker<PruningWorkerApi>(
  'pruning',
  () => new Worker(new URL('./pruning.worker.ts', import.meta.url), { type: 'module' }),
  {
    liveness: { hold: (api, lock) => (api as Comlink.Remote<PruningWorkerApi>).holdLifeLock(lock) },
    // A restarted worker has lost the model and the activation norms: send them again (copies stay
    // here for that; messages reach the worker in order, so later calls see them).
    onRestart: (api) => {
      const remote = api as Comlink.Remote<PruningWorkerApi>;
      if (loaded) void remote.loadModel(loaded.slice()).then(() => norms && remote.setInputNorms(norms));
    },
  },
);

export function loadPruningModel(bytes: Uint8Array): Promise<MatrixInfo[]> {
  loaded = bytes.slice();
  norms = null; // a new model: the norms of the old one do not apply
  const copy = bytes.slice();
  return worker.call((api) => api.loadModel(Comlink.transfer(copy, [copy.buffer])));
}

export function setInputNorms(next: Float32Array[] | null): Promise<void> {
  return worker.call((api) => api.setInputNorms(next)).then(() => void (norms = next));
}

const absoluteUrls = (req: CalibrationRequest): CalibrationRequest => {
  const abs = (u: string) => new URL(u, location.href).href;
  return {
    ...req,
    tokenizerUrl: abs(req.tokenizerUrl),
    dataUrl: abs(req.dataUrl),
    tokenizerConfigUrl: req.tokenizerConfigUrl && abs(req.tokenizerConfigUrl),
  };
};

/** Collects activation norms in the worker (see PruningWorkerApi.calibrate); URLs are made absolute here. */
export function calibratePruning(
  req: CalibrationRequest,
  onProgress: (done: number, total: number) => void,
): Promise<{ sentences: number; ms: number }> {
  return worker
    .call((api) => api.calibrate(absoluteUrls(req), Comlink.proxy(onProgress)))
    .then(({ sentences, ms, norms: got }) => {
      norms = got;
      return { sentences, ms };
    });
}

let latest = 0;
let chain: Promise<unknown> = Promise.resolve();

/** Prunes with `config`; resolves null when a newer request superseded this one before it ran. */
export function prune(config: PruneConfig, maskIndex?: number): Promise<PruneOutcome | null> {
  const id = ++latest;
  const run = chain.then(() => (id === latest ? worker.call((api) => api.prune(config, maskIndex)) : null));
  chain = run.catch(() => {});
  return run;
}

export function maskOf(index: number) {
  return worker.call((api) => api.maskOf(index));
}

export function prunedOnnx(): Promise<Uint8Array> {
  return worker.call((api) => api.prunedOnnx());
}

/** The .hpw of the last prune, or of `config` (a recovered one once recoverPruning resolved). */
export function hpwFile(valueType: ValueType, modelName: string, config?: PruneConfig): Promise<Uint8Array> {
  return worker.call((api) => api.hpwFile(valueType, modelName, config));
}

let nextRecovery = 1;

/** Layer-wise reconstruction of `config` (with `recovery`) in the worker, with progress; `cancel`
 *  stops it (the result then rejects with an AbortError). Calls run side by side. */
export function recoverPruning(
  config: PruneConfig,
  req: CalibrationRequest,
  onProgress: (p: RecoverProgress) => void,
): { result: Promise<{ report: PruneReport; summary: RecoverySummary }>; cancel: () => void } {
  const id = nextRecovery++;
  const result = worker.call((api) => api.recover(id, config, absoluteUrls(req), Comlink.proxy(onProgress)));
  return { result, cancel: () => void worker.call((api) => api.cancelRecovery(id)) };
}

export function prunedOnnxFor(config: PruneConfig): Promise<{ bytes: Uint8Array; achievedSparsity: number }> {
  return worker.call((api) => api.prunedOnnxFor(config));
}
