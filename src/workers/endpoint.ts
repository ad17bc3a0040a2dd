// The one generic comlink endpoint: a worker file hands a lab/ service object to exposeService,
// and every method of it (its class's and the classes' above, not Object's) becomes a call that
// answers a WorkerResult, so typed errors survive the trip (model-result.ts). Results the service
// made fresh for the caller can be transferred instead of copied (`transfer`). The page side is
// service-client.ts.
import * as Comlink from 'comlink';
import { capture, type WorkerResult } from './model-result';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any method signature
type Method = (...args: any[]) => unknown;
type MethodKeys<S> = { [K in keyof S]: S[K] extends Method ? K : never }[keyof S];

/** What the page sees of a service: each method, answering a WorkerResult of its value. */
export type ServiceApi<S> = {
  [K in MethodKeys<S>]: S[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<WorkerResult<Awaited<R>>>
    : never;
};

export interface ExposeOptions<S> {
  /** Per method: the buffers of its result to transfer (only ones the service keeps no use of). */
  transfer?: {
    [K in MethodKeys<S>]?: (value: S[K] extends Method ? Awaited<ReturnType<S[K]>> : never) => ArrayBuffer[];
  };
  /** Functions exposed beside the service's methods, as they are (e.g. holdLifeLock). */
  extra?: Record<string, Method>;
  /** Where to listen (default: the worker's global scope; a MessagePort in tests). */
  endpoint?: Comlink.Endpoint;
}

/** The service's method names: own and inherited, up to (not including) Object.prototype. */
export function methodNames(service: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = service; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name !== 'constructor' && typeof (service as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

/** Exposes `service` over comlink; returns the API object (for tests). */
export function exposeService<S extends object>(service: S, options: ExposeOptions<S> = {}): ServiceApi<S> {
  const api: Record<string, Method> = { ...options.extra };
  const transfers = (options.transfer ?? {}) as Record<string, ((value: unknown) => ArrayBuffer[]) | undefined>;
  for (const name of methodNames(service)) {
    const method = (service as Record<string, Method>)[name].bind(service);
    const transfer = transfers[name];
    api[name] = async (...args: unknown[]) => {
      const result = await capture(() => method(...args));
      return result.ok && transfer ? Comlink.transfer(result, transfer(result.value)) : result;
    };
  }
  Comlink.expose(api, options.endpoint);
  return api as ServiceApi<S>;
}
