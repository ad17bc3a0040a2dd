// Keeps one WebGPU device alive for the page: probes, reports why there is none, and
// re-acquires after a device loss (driver reset, GPU process crash, tab backgrounded too long).
import { acquireGpu, GpuUnavailableError, type AcquiredGpu, type GpuCapabilities, type GpuUnavailableReason } from './adapter';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; caps: GpuCapabilities; device: GPUDevice; adapter: GPUAdapter; generation: number }
  | { state: 'lost'; message: string }
  | { state: 'unavailable'; reason: GpuUnavailableReason | 'reacquire-failed'; message: string };

const MAX_REACQUIRE_ATTEMPTS = 3;

export class GpuSession {
  private current: AcquiredGpu | undefined;
  private generation = 0;
  private closing = false;

  constructor(
    private readonly gpu: GPU | undefined,
    private readonly onStatus: (status: GpuStatus) => void,
  ) {}

  /** Probes and acquires a device; never throws: the outcome arrives through onStatus. */
  async start(): Promise<void> {
    this.onStatus({ state: 'probing' });
    try {
      this.adopt(await acquireGpu(this.gpu));
    } catch (err) {
      this.onStatus(unavailable(err));
    }
  }

  /** Destroys the device as a driver reset would (diagnostics and tests). */
  simulateLoss(): void {
    this.current?.device.destroy();
  }

  close(): void {
    this.closing = true;
    this.current?.device.destroy();
  }

  private adopt(acquired: AcquiredGpu): void {
    this.current = acquired;
    const generation = ++this.generation;
    acquired.device.lost.then((info) => this.handleLoss(info, generation));
    this.onStatus({ state: 'ready', caps: acquired.caps, device: acquired.device, adapter: acquired.adapter, generation });
  }

  private async handleLoss(info: GPUDeviceLostInfo, generation: number): Promise<void> {
    if (this.closing || generation !== this.generation) return;
    this.current = undefined;
    const why = info.message || info.reason || 'unknown reason';
    this.onStatus({ state: 'lost', message: `The GPU device was lost (${why}). Re-acquiring…` });
    for (let attempt = 1; attempt <= MAX_REACQUIRE_ATTEMPTS; attempt++) {
      await new Promise((r) => setTimeout(r, 250 * attempt));
      try {
        this.adopt(await acquireGpu(this.gpu));
        return;
      } catch {
        // a lost adapter can take a moment to come back: try again
      }
    }
    this.onStatus({
      state: 'unavailable',
      reason: 'reacquire-failed',
      message: `The GPU device was lost (${why}) and could not be re-acquired after ${MAX_REACQUIRE_ATTEMPTS} attempts.`,
    });
  }
}

function unavailable(err: unknown): GpuStatus {
  if (err instanceof GpuUnavailableError) return { state: 'unavailable', reason: err.reason, message: err.message };
  return { state: 'unavailable', reason: 'device-request-failed', message: `WebGPU failed: ${(err as Error)?.message ?? err}` };
}
