// A managed worker, under every page-side client: a worker module (src/workers/<concern>.worker.ts)
// exposes a lab/ service through endpoint.ts, and service-client.ts wraps it with spawnWorker,
// which
//  - types the proxy (Comlink.Remote<Api>),
//  - rejects calls in flight with WorkerCrashedError when the worker dies, and restarts it,
//  - reports every crash to listeners (the app shows a banner),
//  - optionally watches the worker's life lock (life-lock.ts): a worker that stops without an
//    error event (self.close(), a killed process) is declared dead the moment it ends.
// Large arrays cross as transferables: wrap arguments/results with Comlink.transfer(value, [buf]).
// Progress callbacks cross as Comlink.proxy(fn).
import * as Comlink from 'comlink';
import { lifeEnded } from './life-lock';

export class WorkerCrashedError extends Error {
  constructor(
    readonly workerName: string,
    readonly detail: string,
  ) {
    super(`The ${workerName} worker stopped unexpectedly (${detail}); it has been restarted.`);
    this.name = 'WorkerCrashedError';
  }
}

/** What spawnWorker needs of a Worker (a real Worker in the page; a fake in unit tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  terminate(): void;
}

export interface ManagedWorker<Api> {
  /** Runs `fn` against the live proxy; rejects with WorkerCrashedError if the worker dies first. */
  call<R>(fn: (api: Comlink.Remote<Api>) => Promise<R>): Promise<R>;
  readonly restarts: number;
  /** Ends the worker at once, whatever it is doing (e.g. a long GPU run the visitor cancels): its
   *  calls in flight reject with `reason`, and the next call starts a fresh worker (given onRestart). */
  stop(reason: Error): void;
  terminate(): void;
}

type CrashListener = (error: WorkerCrashedError) => void;
const crashListeners = new Set<CrashListener>();

/** Subscribes to crashes of any managed worker; returns the unsubscribe function. */
export function onWorkerCrash(listener: CrashListener): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

export interface Liveness {
  /** Asks the worker to hold the named life lock (its API's holdLifeLock). */
  hold: (api: Comlink.Remote<unknown>, lockName: string) => Promise<unknown>;
  /** navigator.locks by default (none: no detection). */
  locks?: LockManager;
}

export interface SpawnOptions {
  /** Called with the fresh proxy after a restart, e.g. to re-send state the worker held. */
  onRestart?: (api: Comlink.Remote<unknown>) => void;
  /** Detects a silent death while calls are in flight (no error event ever comes). */
  liveness?: Liveness;
  /** Start the worker at its first call, not now: a worker most visits never use costs the
   *  page's first seconds nothing (its script, its thread). */
  lazy?: boolean;
}

export function spawnWorker<Api>(
  name: string,
  create: () => WorkerLike,
  options: SpawnOptions = {},
): ManagedWorker<Api> {
  let worker: WorkerLike;
  let api: Comlink.Remote<Api>;
  let crash: { promise: Promise<never>; reject: (e: Error) => void };
  let restarts = 0;
  /** Counts the workers started: a life lock that frees belongs to the current one only if its
   *  number is still the latest (a stop or a restart ends the old one on purpose). */
  let generation = 0;
  let terminated = false;

  const onError = (event: Event) => died((event as ErrorEvent).message || event.type);

  function died(detail: string) {
    const error = new WorkerCrashedError(name, detail);
    crash.reject(error);
    for (const listener of crashListeners) listener(error);
    if (terminated) return;
    worker.removeEventListener('error', onError);
    worker.removeEventListener('messageerror', onError);
    worker.terminate();
    restarts++;
    start();
    options.onRestart?.(api as Comlink.Remote<unknown>);
  }

  /** Has the new worker hold a life lock; when the lock comes free, the worker has ended. */
  function watchLife() {
    const locks =
      options.liveness && (options.liveness.locks ?? (globalThis.navigator as Navigator | undefined)?.locks);
    if (!options.liveness || !locks) return;
    const mine = generation;
    const lockName = `hp-lab:${name}:${mine}:${Math.random().toString(36).slice(2)}`;
    options.liveness.hold(api as Comlink.Remote<unknown>, lockName).then(
      () =>
        lifeEnded(lockName, locks).then(() => {
          // Our own restart or terminate() also ends it: only a death nobody asked for counts.
          if (mine === generation && !terminated) died('it closed without an error');
        }),
      () => {},
    );
  }

  function start() {
    generation++;
    worker = create();
    api = Comlink.wrap<Api>(worker as unknown as Comlink.Endpoint);
    let reject!: (e: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => {}); // observed through call(); never an unhandled rejection
    crash = { promise, reject };
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', onError);
    watchLife();
  }
  let started = !options.lazy;
  if (started) start();

  return {
    call(fn) {
      if (terminated) return Promise.reject(new Error(`The ${name} worker was terminated.`));
      if (!started) {
        started = true;
        const stopped = generation > 0;
        start();
        // After a stop, the fresh worker gets what a restarted one gets (state re-sent).
        if (stopped) options.onRestart?.(api as Comlink.Remote<unknown>);
      }
      return Promise.race([fn(api), crash.promise]);
    },
    get restarts() {
      return restarts;
    },
    stop(reason) {
      if (!started || terminated) return;
      crash.reject(reason);
      worker.removeEventListener('error', onError);
      worker.removeEventListener('messageerror', onError);
      worker.terminate();
      started = false; // the next call starts a fresh worker
    },
    terminate() {
      terminated = true;
      if (started) worker.terminate();
    },
  };
}
