// The pruning worker's helpers for a reconstruction: nested workers that each hold a shard of the
// calibration tokens (lab/RecoveryShardService), one fewer than the cores (at most 3), so that the
// reconstruction's wall time falls with the cores (BENCHMARKS.md, "Recovery without retraining").
// None where a worker cannot start workers.
import * as Comlink from 'comlink';
import type { ShardSpawner } from '../core/recover/shard';
import { unwrap, type WorkerResult } from './model-result';
import type { RecoveryShardApi } from './recover-shard.worker';

const spawnWorker: ShardSpawner = async (init) => {
  const worker = new Worker(new URL('./recover-shard.worker.ts', import.meta.url), { type: 'module' });
  let failed: Error | undefined;
  const failure = new Promise<never>((_, reject) => {
    worker.onerror = (e) => {
      e.preventDefault();
      reject((failed = new Error(`the reconstruction's second worker failed: ${e.message || 'it did not start'}`)));
    };
  });
  failure.catch(() => {}); // observed by the calls below
  const api = Comlink.wrap<RecoveryShardApi>(worker);
  // A call answers, or fails with the worker; the inputs were made for this shard: transferred.
  const call = <T>(p: Promise<WorkerResult<T>>) =>
    failed ? Promise.reject(failed) : Promise.race([p.then(unwrap), failure]);
  await call(
    api.start(
      Comlink.transfer(
        init,
        init.inputs.map((x) => x.buffer as ArrayBuffer),
      ),
    ),
  );
  return {
    accumulate: (layer, stage) => call(api.accumulate(layer, stage)),
    advance: (layer, stage, weights) => call(api.advance(layer, stage, weights)),
    solve: (task) => call(api.solve(task)),
    close: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
};

export function workerHelpers(): ShardSpawner[] {
  if (typeof Worker === 'undefined') return [];
  const cores = Math.min(navigator.hardwareConcurrency || 1, 4);
  return Array.from({ length: cores - 1 }, () => spawnWorker);
}
