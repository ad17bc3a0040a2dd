// The reconstruction's extra shards (core/recover/shard.ts) on Node worker threads, so that
// `hp-lab … --recover` uses every core it is given. A helper thread runs this same module file
// (the bundled CLI as a whole, or this file under tsx): started with the role below in its
// workerData, it serves one shard over its port instead of doing anything else.
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { RecoveryShard, type ShardInit, type StageSums } from '../core/recover/shard';
import type { ShardSpawner } from '../core/recover/sequential';

const ROLE = 'hp-lab-recovery-shard';

interface Request {
  id: number;
  op: 'accumulate' | 'advance';
  layer: number;
  stage: number;
  weights?: Parameters<RecoveryShard['advance']>[2];
}

let serving = false;

/** Serves a shard if this thread was started as one (then the caller must do nothing else). */
export function serveRecoveryShard(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== ROLE) return false;
  if (serving) return true;
  serving = true;
  const shard = new RecoveryShard((workerData as { init: ShardInit }).init);
  parentPort!.on('message', ({ id, op, layer, stage, weights }: Request) => {
    try {
      if (op === 'advance') {
        shard.advance(layer, stage, weights!);
        parentPort!.postMessage({ id });
        return;
      }
      const sums = shard.accumulate(layer, stage);
      const buffers = [sums.gram, sums.inputSum, ...sums.cross.flatMap((c) => [c.cross, c.targetSum])];
      parentPort!.postMessage(
        { id, sums },
        buffers.map((a) => a.buffer as ArrayBuffer),
      );
    } catch (err) {
      parentPort!.postMessage({ id, error: (err as Error).message });
    }
  });
  return true;
}

serveRecoveryShard();

/** Helper threads for a reconstruction: one fewer than the cores (the calling thread is a shard
 *  too), `threads` in all when given. */
export function threadHelpers(threads = Math.min(os.availableParallelism(), 4)): ShardSpawner[] {
  return Array.from({ length: Math.max(0, threads - 1) }, () => spawnThreadShard);
}

const spawnThreadShard: ShardSpawner = async (init) => {
  const url = new URL(import.meta.url);
  const options = { workerData: { role: ROLE, init } };
  // Run from source (scripts under tsx): the thread registers tsx's loader before this .ts file.
  const worker = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((t) => (t.register(), import(${JSON.stringify(url.href)})))`, {
        ...options,
        eval: true,
      })
    : new Worker(url, options);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (m: { id: number; sums?: StageSums; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`recovery thread: ${m.error}`));
    else w?.resolve(m.sums);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`recovery thread exited (code ${code})`)));
  const call = <T>(request: Omit<Request, 'id'>) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...request });
    });
  return {
    accumulate: (layer, stage) => call<StageSums>({ op: 'accumulate', layer, stage }),
    advance: (layer, stage, weights) => call<void>({ op: 'advance', layer, stage, weights }),
    close: () => void worker.terminate(),
  };
};
