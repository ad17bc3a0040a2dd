// A worker for unit tests of worker clients: one side of a MessageChannel stands for the Worker,
// a service listens on the other (exposeService with `endpoint`), and kill() makes it die as a
// crashed worker does (its service stops answering, the page gets an error event).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type * as Comlink from 'comlink';
import { exposeService } from '../../src/workers/endpoint';
import type { WorkerLike } from '../../src/workers/spawn';

/** One side of a MessageChannel as a Worker; the service listens on the other side. */
export class ChannelWorker extends EventTarget implements WorkerLike {
  constructor(
    private readonly port: MessagePort,
    private readonly servicePort: MessagePort,
  ) {
    super();
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.port.postMessage(message, transfer as never);
  }
  override addEventListener(type: string, listener: (event: Event) => void): void {
    if (type === 'message') {
      this.port.addEventListener('message', listener as never);
      this.port.start();
    } else super.addEventListener(type, listener);
  }
  override removeEventListener(type: string, listener: (event: Event) => void): void {
    if (type === 'message') this.port.removeEventListener('message', listener as never);
    else super.removeEventListener(type, listener);
  }
  terminate(): void {
    this.port.close();
    this.servicePort.close();
  }
  /** The worker dies: its service stops answering, and the page gets an error event. */
  kill(): void {
    this.servicePort.close();
    const event = new Event('error') as Event & { message: string };
    event.message = 'killed by the test';
    this.dispatchEvent(event);
  }
}

/** A `create` for serviceClient that exposes a fresh `make()` service on each new worker; the
 *  workers and services made so far are listed (index 0: the first start). */
export function channelWorkers<S extends object>(make: () => S) {
  const workers: ChannelWorker[] = [];
  const services: S[] = [];
  const create = (): ChannelWorker => {
    const { port1, port2 } = new MessageChannel();
    const service = make();
    services.push(service);
    exposeService(service, { endpoint: port2 as unknown as Comlink.Endpoint });
    const worker = new ChannelWorker(port1, port2);
    workers.push(worker);
    return worker;
  };
  return { create, workers, services };
}
