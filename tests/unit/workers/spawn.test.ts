import { describe, expect, it } from 'vitest';
import { onWorkerCrash, spawnWorker, WorkerCrashedError, type WorkerLike } from '../../../src/workers/spawn';

/** A worker that never answers: enough to observe crash handling. */
class SilentWorker extends EventTarget implements WorkerLike {
  terminated = false;
  posted = 0;
  postMessage(): void {
    this.posted++;
  }
  terminate(): void {
    this.terminated = true;
  }
  crash(message: string) {
    const event = new Event('error') as Event & { message: string };
    event.message = message;
    this.dispatchEvent(event);
  }
}

describe('spawnWorker', () => {
  it('rejects calls in flight when the worker dies, reports it and restarts', async () => {
    const created: SilentWorker[] = [];
    const seen: WorkerCrashedError[] = [];
    const off = onWorkerCrash((e) => seen.push(e));
    const managed = spawnWorker<{ ping(): Promise<string> }>('test', () => {
      const w = new SilentWorker();
      created.push(w);
      return w;
    });
    const pending = managed.call((api) => api.ping());
    created[0].crash('out of memory');
    await expect(pending).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pending).rejects.toThrow(/test worker stopped unexpectedly \(out of memory\)/);
    expect(created[0].terminated).toBe(true);
    expect(created).toHaveLength(2);
    expect(managed.restarts).toBe(1);
    expect(seen.map((e) => e.workerName)).toEqual(['test']);

    // The next call goes to the new worker, and a crash of the old one no longer matters.
    void managed.call((api) => api.ping());
    await new Promise((r) => setTimeout(r, 0));
    expect(created[1].posted).toBeGreaterThan(0);
    off();
    managed.terminate();
    expect(created[1].terminated).toBe(true);
  });

  it('refuses calls after terminate', async () => {
    const managed = spawnWorker<{ ping(): Promise<string> }>('gone', () => new SilentWorker());
    managed.terminate();
    await expect(managed.call((api) => api.ping())).rejects.toThrow(/terminated/);
  });
});
