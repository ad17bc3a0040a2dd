// Keeps one WebGPU device alive for the page and says what state it is in: probes, reports why
// there is none, and after a device loss (driver reset, GPU process crash, tab backgrounded too
// long) re-acquires through the same GpuLease policy as everyone else, a few times.
import { GpuUnavailableError, type GpuCapabilities, type GpuUnavailableReason } from '../gpu/adapter';
import { GpuLease, type LeasedGpu } from '../gpu/gpu-lease';

export type GpuStatus =
  | { state: 'probing' }
  | { state: 'ready'; caps: GpuCapabilities; device: GPUDevice; adapter: GPUAdapter; generation: number }
  | { state: 'lost'; message: string }
  | { state: 'unavailable'; reason: GpuUnavailableReason | 'reacquire-failed'; message: string };

const MAX_REACQUIRE_ATTEMPTS = 3;

export class GpuSession {
  private readonly lease: GpuLease;

  constructor(
    gpu: GPU | undefined,
    private readonly onStatus: (status: GpuStatus) => void,
  ) {
    this.lease = new GpuLease(gpu);
    this.lease.onLost((info) => void this.handleLoss(info));
  }

  /** Probes and acquires a device; never throws: the outcome arrives through onStatus. */
  async start(): Promise<void> {
    this.onStatus({ state: 'probing' });
    try {
      this.adopt(await this.lease.get());
    } catch (err) {
      this.onStatus(unavailable(err));
    }
  }

  /** Destroys the device as a driver reset would (diagnostics and tests). */
  simulateLoss(): void {
    void this.lease.simulateLoss();
  }

  close(): void {
    void this.lease.close();
  }

  private adopt(g: LeasedGpu): void {
    this.onStatus({ state: 'ready', caps: g.caps, device: g.device, adapter: g.adapter, generation: g.generation });
  }

  private async handleLoss(info: GPUDeviceLostInfo): Promise<void> {
    const why = info.message || info.reason || 'unknown reason';
    this.onStatus({ state: 'lost', message: `The GPU device was lost (${why}). Re-acquiring…` });
    for (let attempt = 1; attempt <= MAX_REACQUIRE_ATTEMPTS; attempt++) {
      await new Promise((r) => setTimeout(r, 250 * attempt));
      try {
        this.adopt(await this.lease.get());
        return;
      } catch {
        // a lost adapter can take a moment to come back: try again
      }
    }
    this.onStatus({
      state: 'unavailable',
      reason: 'reacquire-failed',
      message:
        `The GPU device was lost (${why}) ` + `and could not be re-acquired after ${MAX_REACQUIRE_ATTEMPTS} attempts.`,
    });
  }
}

function unavailable(err: unknown): GpuStatus {
  if (err instanceof GpuUnavailableError) return { state: 'unavailable', reason: err.reason, message: err.message };
  return {
    state: 'unavailable',
    reason: 'device-request-failed',
    message: `WebGPU failed: ${(err as Error)?.message ?? err}`,
  };
}
