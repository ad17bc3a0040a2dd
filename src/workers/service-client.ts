// The page side of a service exposed with endpoint.ts: a managed worker (spawn.ts: crashes reject
// the calls in flight and restart it) whose answers are unwrapped into values or typed errors,
// and which restores its state after a restart, as web-llm's engine re-sends its reload
// parameters: the calls that gave the worker its state (a model, a tokenizer, a dataset) are
// made through `keep`, remembered by key (the latest call per key that the worker accepted), and
// replayed in order on a restarted worker before any other call reaches it.
import type * as Comlink from 'comlink';
import { spawnWorker, type SpawnOptions, type WorkerLike } from './spawn';
import { unwrap, type WorkerResult } from './model-result';

type Call<Api, R> = (api: Comlink.Remote<Api>) => Promise<R>;

export interface ServiceClient<Api> {
  /** A call that answers a WorkerResult: its value, or its error rethrown as the typed error it was. */
  request<T>(fn: Call<Api, WorkerResult<T>>): Promise<T>;
  /** A call that gives the worker state: made now, and again on every restarted worker. */
  keep<T>(key: string, fn: Call<Api, WorkerResult<T>>): Promise<T>;
  /** Replays `fn` on every restarted worker from now on, without calling it now: for state the
   *  worker made itself (e.g. norms it computed) that the page got a copy of. */
  remember<T>(key: string, fn: Call<Api, WorkerResult<T>>): void;
  /** Stops replaying `key` (state that no longer applies, e.g. after a new model). */
  forget(key: string): void;
  /** A call whose answer is used as it comes (no WorkerResult), e.g. cancel(). */
  call<R>(fn: Call<Api, R>): Promise<R>;
  readonly restarts: number;
  /** Ends the worker at once (spawn.ts): calls in flight reject with `reason`; the next call gets
   *  a fresh worker, given the kept state first as after a restart. */
  stop(reason: Error): void;
  terminate(): void;
}

/** `liveness`: how the worker holds its life lock (spawn.ts), for workers that can die silently. */
export function serviceClient<Api>(
  name: string,
  create: () => WorkerLike,
  options: Pick<SpawnOptions, 'liveness' | 'lazy'> = {},
): ServiceClient<Api> {
  const kept = new Map<string, Call<Api, unknown>>();
  let restoring: Promise<void> = Promise.resolve();

  const worker = spawnWorker<Api>(name, create, {
    ...options,
    onRestart: (api) => {
      const fresh = api as Comlink.Remote<Api>;
      const replays = [...kept.values()];
      restoring = (async () => {
        // A replay that fails leaves the worker as a first call would: the next call says why.
        for (const replay of replays) await replay(fresh).catch(() => undefined);
      })();
    },
  });

  const call = <R>(fn: Call<Api, R>): Promise<R> =>
    worker.call(async (api) => {
      await restoring;
      return fn(api);
    });
  const request = async <T>(fn: Call<Api, WorkerResult<T>>): Promise<T> => unwrap(await call(fn));

  /** Re-inserted last: replayed after the state it may depend on. */
  const remember = (key: string, fn: Call<Api, unknown>) => {
    kept.delete(key);
    kept.set(key, fn);
  };

  return {
    request,
    keep(key, fn) {
      const answer = request(fn);
      // Only state the worker took: a refused dataset leaves the previous one in place there,
      // and so here.
      answer.then(
        () => remember(key, fn),
        () => undefined,
      );
      return answer;
    },
    remember,
    forget(key) {
      kept.delete(key);
    },
    call,
    get restarts() {
      return worker.restarts;
    },
    stop: (reason) => worker.stop(reason),
    terminate: () => worker.terminate(),
  };
}
