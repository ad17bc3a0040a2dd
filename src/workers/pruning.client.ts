// Page side of the pruning worker. `prune` drops stale requests: when a newer call arrives before
// an older one has started, the older resolves to null (the sliders move faster than pruning).
// The model and the activation norms are kept: a restarted worker gets them again before the
// next call (service-client.ts); a worker that stops without an error event is noticed at once
// (its life lock, life-lock.ts).
import * as Comlink from 'comlink';
import type { ValueType } from '../core/formats/hp';
import type { PruneConfig, PruneReport } from '../core/pruning';
import type { RecoverySummary } from '../core/recover/recover-pruned';
import type { RecoverProgress } from '../core/recover/sequential';
import { serviceClient } from './service-client';
import type { CalibrationRequest, MaskView, MatrixInfo, PruneOutcome, PruningWorkerApi } from './pruning.worker';

export type { MatrixInfo, PruneOutcome };

const worker = serviceClient<PruningWorkerApi>(
  'pruning',
  () => new Worker(new URL('./pruning.worker.ts', import.meta.url), { type: 'module' }),
  {
    liveness: { hold: (api, lock) => (api as Comlink.Remote<PruningWorkerApi>).holdLifeLock(lock) },
    lazy: true, // its first call comes after the page's first number
  },
);

/** Replays `norms` (copies stay here for that) on a restarted worker. */
const rememberNorms = (norms: Float32Array[] | null) => worker.remember('norms', (api) => api.setInputNorms(norms));

export function loadPruningModel(bytes: Uint8Array): Promise<MatrixInfo[]> {
  worker.forget('norms'); // a new model: the norms of the old one do not apply
  const own = bytes.slice();
  return worker.keep('model', (api) => {
    const copy = own.slice();
    return api.loadModel(Comlink.transfer(copy, [copy.buffer]));
  });
}

export function setInputNorms(next: Float32Array[] | null): Promise<void> {
  return worker.keep('norms', (api) => api.setInputNorms(next));
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

/** Collects activation norms in the worker (see PruningService.calibrate); URLs are made absolute here. */
export function calibratePruning(
  req: CalibrationRequest,
  onProgress: (done: number, total: number) => void,
): Promise<{ sentences: number; ms: number }> {
  return worker
    .request((api) => api.calibrate(absoluteUrls(req), Comlink.proxy(onProgress)))
    .then(({ sentences, ms, norms }) => {
      rememberNorms(norms);
      return { sentences, ms };
    });
}

let latest = 0;
let chain: Promise<unknown> = Promise.resolve();

/** Prunes with `config`; resolves null when a newer request superseded this one before it ran. */
export function prune(config: PruneConfig, maskIndex?: number): Promise<PruneOutcome | null> {
  const id = ++latest;
  const run = chain.then(() => (id === latest ? worker.request((api) => api.prune(config, maskIndex)) : null));
  chain = run.catch(() => {});
  return run;
}

export function maskOf(index: number): Promise<MaskView> {
  return worker.request((api) => api.maskOf(index));
}

export function prunedOnnx(): Promise<Uint8Array> {
  return worker.request((api) => api.prunedOnnx());
}

/** The .hpw of the last prune, or of `config` (a recovered one once recoverPruning resolved). */
export function hpwFile(valueType: ValueType, modelName: string, config?: PruneConfig): Promise<Uint8Array> {
  return worker.request((api) => api.hpwFile(valueType, modelName, config));
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
  const result = worker.request((api) => api.recover(id, config, absoluteUrls(req), Comlink.proxy(onProgress)));
  return { result, cancel: () => void worker.request((api) => api.cancelRecovery(id)).catch(() => undefined) };
}

export function prunedOnnxFor(config: PruneConfig): Promise<{ bytes: Uint8Array; achievedSparsity: number }> {
  return worker.request((api) => api.prunedOnnxFor(config));
}
