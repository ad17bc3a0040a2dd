// The one place a GPU device is acquired, with one policy for a lost device:
//  - the device is acquired on first use (acquireGpu: the adapter's limits, the optional features);
//  - a failed acquisition is not remembered: the next call tries again;
//  - when the device is lost, every wait raced through `guard` rejects at once with
//    GpuDeviceLostError, the device is forgotten, listeners hear of it, and the next call
//    acquires a fresh one. Nothing made on the old device (engines, buffers) may be reused.
// Used by the GPU workers, the page's GPU status (lab/gpu-session.ts) and Node (node-gpu.ts).
import { acquireGpu, type AcquiredGpu } from './adapter';
import { lossGuard, type Guard } from './loss-guard';

export interface LeasedGpu extends AcquiredGpu {
  /** Races a promise against the loss of this device. */
  guard: Guard;
  /** Counts devices this lease has acquired: a new number means a new device. */
  generation: number;
}

export type LossListener = (info: GPUDeviceLostInfo, generation: number) => void;

export class GpuLease {
  private current: Promise<LeasedGpu> | undefined;
  private generation = 0;
  /** Devices up to this generation were closed on purpose: their loss is not reported. */
  private closedUpTo = 0;
  private readonly listeners = new Set<LossListener>();

  /** `acquire` defaults to acquireGpu on `gpu` (navigator.gpu, or Dawn's GPU object in Node). */
  constructor(
    private readonly gpu: GPU | undefined | null,
    private readonly acquire: () => Promise<AcquiredGpu> = () => acquireGpu(gpu),
  ) {}

  /** The live device, acquiring one when there is none; rejects with GpuUnavailableError. */
  get(): Promise<LeasedGpu> {
    this.current ??= this.acquire().then(
      (acquired) => {
        const generation = ++this.generation;
        const guard = lossGuard(acquired.device, () => undefined);
        void acquired.device.lost.then((info) => {
          if (this.generation === generation) this.current = undefined;
          if (generation > this.closedUpTo) for (const listener of this.listeners) listener(info, generation);
        });
        return { ...acquired, guard, generation };
      },
      (err) => {
        this.current = undefined; // no GPU now (or a refused device): try again on the next call
        throw err;
      },
    );
    return this.current;
  }

  /** Called once per lost device (not for close()). Returns the unsubscribe function. */
  onLost(listener: LossListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Destroys the device as a driver reset would (diagnostics and tests). */
  async simulateLoss(): Promise<void> {
    if (this.current) (await this.current).device.destroy();
  }

  /** Destroys the device for good: no loss is reported, the next get() acquires again. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    const leased = await current?.catch(() => undefined);
    if (!leased) return;
    this.closedUpTo = Math.max(this.closedUpTo, leased.generation);
    leased.device.destroy();
  }
}
