import { describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
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

  it('a lazy worker starts at its first call, not before', async () => {
    const created: SilentWorker[] = [];
    const managed = spawnWorker<{ ping(): Promise<string> }>(
      'later',
      () => (created.push(new SilentWorker()), created.at(-1)!),
      { lazy: true },
    );
    expect(created).toHaveLength(0);
    void managed.call((api) => api.ping());
    void managed.call((api) => api.ping());
    await new Promise((r) => setTimeout(r, 0));
    expect(created).toHaveLength(1);
    expect(created[0].posted).toBe(2);
    managed.terminate();
    expect(created[0].terminated).toBe(true);
    // Never started: terminate has nothing to stop, and later calls are refused.
    const unused = spawnWorker<{ ping(): Promise<string> }>('unused', () => new SilentWorker(), { lazy: true });
    unused.terminate();
    await expect(unused.call((api) => api.ping())).rejects.toThrow(/terminated/);
  });

  it('stop ends the worker at once: its calls reject with the reason, the next call gets a fresh one', async () => {
    const created: SilentWorker[] = [];
    const seen: WorkerCrashedError[] = [];
    const off = onWorkerCrash((e) => seen.push(e));
    let restored = 0;
    const managed = spawnWorker<{ ping(): Promise<string> }>(
      'bench',
      () => (created.push(new SilentWorker()), created.at(-1)!),
      { onRestart: () => restored++ },
    );
    const pending = managed.call((api) => api.ping()); // never answered: a long GPU run
    const reason = new Error('Measurement cancelled.');
    managed.stop(reason);
    await expect(pending).rejects.toBe(reason);
    expect(created[0].terminated).toBe(true);
    expect(created).toHaveLength(1); // nothing started until asked
    expect(restored).toBe(0);
    void managed.call((api) => api.ping());
    await new Promise((r) => setTimeout(r, 0));
    expect(created).toHaveLength(2);
    expect(restored).toBe(1); // the fresh worker is given the state a restarted one would be
    expect(created[1].posted).toBe(1);
    // Not a crash: no banner, no restart counted.
    expect(seen).toEqual([]);
    expect(managed.restarts).toBe(0);
    off();
    managed.terminate();
  });

  it('refuses calls after terminate', async () => {
    const managed = spawnWorker<{ ping(): Promise<string> }>('gone', () => new SilentWorker());
    managed.terminate();
    await expect(managed.call((api) => api.ping())).rejects.toThrow(/terminated/);
  });
});

/** Web Locks as the browser runs them, for one page and its workers: one holder per name, the
 *  next request granted when the holder's callback settles. */
class FakeLocks {
  private readonly queues = new Map<string, Array<() => void>>();
  request(name: string, cb: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = async () => {
        try {
          resolve(await cb());
        } catch (e) {
          reject(e);
        } finally {
          const q = this.queues.get(name)!;
          q.shift();
          if (q.length) q[0]();
          else this.queues.delete(name);
        }
      };
      const q = this.queues.get(name) ?? [];
      this.queues.set(name, q);
      q.push(run);
      if (q.length === 1) void run();
    });
  }
}

/** A worker over a MessageChannel running a real Comlink API; `stop()` is the worker's
 *  self.close(): it answers nothing more, no error event ever comes, and the browser releases
 *  the locks it held. */
class ChannelWorker extends EventTarget implements WorkerLike {
  readonly page: MessagePort;
  private readonly inside: MessagePort;
  private readonly ended: Promise<void>;
  private end!: () => void;
  terminated = false;
  constructor(locks: FakeLocks) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.page = port1;
    this.inside = port2;
    this.ended = new Promise((r) => (this.end = r));
    const api = {
      holdLifeLock: (name: string) => new Promise<void>((held) => void locks.request(name, () => (held(), this.ended))),
      slow: () => new Promise<string>((r) => setTimeout(() => r('done'), 200)),
      never: () => new Promise<string>(() => {}),
    };
    Comlink.expose(api, port2 as unknown as Comlink.Endpoint);
    port1.on('message', (data) => this.dispatchEvent(Object.assign(new Event('message'), { data })));
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.page.postMessage(message, transfer as never);
  }
  stop() {
    this.inside.close();
    this.end();
  }
  terminate(): void {
    this.terminated = true;
    this.page.close();
    this.end();
  }
}

type Api = { holdLifeLock(name: string): Promise<void>; slow(): Promise<string>; never(): Promise<string> };

describe('spawnWorker liveness (issue 18: a worker that dies without an error event)', () => {
  const setup = () => {
    const locks = new FakeLocks();
    const created: ChannelWorker[] = [];
    const restored: number[] = [];
    const managed = spawnWorker<Api>('evaluation', () => (created.push(new ChannelWorker(locks)), created.at(-1)!), {
      liveness: {
        hold: (a, name) => (a as Comlink.Remote<Api>).holdLifeLock(name),
        locks: locks as unknown as LockManager,
      },
      onRestart: () => restored.push(created.length),
    });
    return { created, restored, managed };
  };

  it('a worker busy in a long call is left alone', async () => {
    const { managed } = setup();
    await expect(managed.call((a) => a.slow())).resolves.toBe('done');
    expect(managed.restarts).toBe(0);
    managed.terminate();
  });

  it('a silent death rejects the call in flight at once, restarts the worker and restores its state', async () => {
    const { created, restored, managed } = setup();
    const pending = managed.call((a) => a.never());
    await new Promise((r) => setTimeout(r, 30)); // the worker holds its lock by now
    created[0].stop();
    await expect(pending).rejects.toThrow(
      /evaluation worker stopped unexpectedly \(it closed without an error\); it has been restarted/,
    );
    expect(created[0].terminated).toBe(true);
    expect(managed.restarts).toBe(1);
    expect(restored).toEqual([2]);
    // The fresh worker answers, and ending it on purpose is not reported as a death.
    await expect(managed.call((a) => a.slow())).resolves.toBe('done');
    managed.terminate();
    await new Promise((r) => setTimeout(r, 30));
    expect(managed.restarts).toBe(1);
  });
});
