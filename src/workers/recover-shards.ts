// The pruning worker's helpers for a reconstruction: nested workers that each hold a shard of the
// calibration tokens (core/recover/shard.ts), one fewer than the cores (at most 3), so that the
// reconstruction's wall time falls with the cores (BENCHMARKS.md, "Recovery without retraining").
// None where a worker cannot start workers.
import { shardSpawner } from '../core/recover/shard-messages';
import type { ShardSpawner } from '../core/recover/shard';

const spawnWorker: ShardSpawner = shardSpawner((receive, fail) => {
  const worker = new Worker(new URL('./recover-shard.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => receive(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    fail(new Error(`the reconstruction's second worker failed: ${e.message || 'it did not start'}`));
  };
  return { post: (message, transfer) => worker.postMessage(message, transfer ?? []), close: () => worker.terminate() };
});

export function workerHelpers(): ShardSpawner[] {
  if (typeof Worker === 'undefined') return [];
  const cores = Math.min(navigator.hardwareConcurrency || 1, 4);
  return Array.from({ length: cores - 1 }, () => spawnWorker);
}
