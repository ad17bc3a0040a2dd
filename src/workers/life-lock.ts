// A worker's life as a Web Lock (navigator.locks, in every current browser, in workers too): the
// worker takes a lock named by the page and never lets go; the browser releases it when the
// worker ends in any way (self.close(), a crash, terminate()), and the page's own request for
// that lock is granted at that moment. Unlike a ping, a worker busy in a long synchronous step
// (a wasm batch, a large prune) is never mistaken for a dead one.

/** In the worker: holds `name` for the worker's lifetime; resolves once it is held. */
export function holdLifeLock(name: string, locks: LockManager = navigator.locks): Promise<void> {
  return new Promise((held) => {
    void locks.request(name, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
}

/** On the page: resolves when the worker holding `name` has ended. */
export async function lifeEnded(name: string, locks: LockManager = navigator.locks): Promise<void> {
  await locks.request(name, () => undefined);
}
