// The reconstruction's extra shards (core/recover/shard.ts) on Node worker threads, so that
// `hp-lab … --recover` uses every core it is given. A helper thread runs this same module file
// (the bundled CLI as a whole, or this file under tsx): started with the role below in its
// workerData, it serves one shard over its port instead of doing anything else.
import './relaxed-simd';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { shardServer, shardSpawner } from '../core/recover/shard-messages';
import type { ShardSpawner } from '../core/recover/shard';
import { setPhaseClock } from '../core/recover/phases';

const ROLE = 'hp-lab-recovery-shard';
let serving = false;

/** Serves a shard if this thread was started as one (then the caller must do nothing else). */
export function serveRecoveryShard(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== ROLE) return false;
  if (!serving) {
    serving = true;
    parentPort!.on(
      'message',
      shardServer((message, transfer) => parentPort!.postMessage(message, transfer ?? [])),
    );
  }
  return true;
}

// HP_LAB_THREAD_CPU=1: the phase times (RecoverResult.phases) in this thread's CPU milliseconds
// (Linux: the first field of /proc/thread-self/schedstat, ns on a CPU; ~35 µs a read) instead of
// wall time, so that they compare across runs on a shared machine.
if (process.env.HP_LAB_THREAD_CPU === '1') setPhaseClock(threadCpuMs);

function threadCpuMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}

serveRecoveryShard();

const spawnThread: ShardSpawner = shardSpawner((receive, fail) => {
  const url = new URL(import.meta.url);
  const options = { workerData: { role: ROLE } };
  // Run from source (scripts under tsx): the thread registers tsx's loader before this .ts file.
  const worker = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((t) => (t.register(), import('${url.href}')))`, {
        ...options,
        eval: true,
      })
    : new Worker(url, options);
  worker.on('message', receive);
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`recovery thread exited (code ${code})`)));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    close: () => void worker.terminate(),
  };
});

/** Helper threads for a reconstruction: one fewer than the cores (the calling thread is a shard
 *  too), `threads` in all when given. */
export function threadHelpers(threads = Math.min(os.availableParallelism(), 4)): ShardSpawner[] {
  return Array.from({ length: Math.max(0, threads - 1) }, () => spawnThread);
}
