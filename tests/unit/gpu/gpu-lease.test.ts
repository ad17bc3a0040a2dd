import { describe, expect, it } from 'vitest';
import type { AcquiredGpu } from '../../../src/gpu/adapter';
import { GpuLease } from '../../../src/gpu/gpu-lease';
import { GpuDeviceLostError } from '../../../src/gpu/loss-guard';

/** A device whose loss the test triggers (destroy), as a driver reset would. */
function fakeDevice(n: number): AcquiredGpu {
  let resolveLost!: (info: GPUDeviceLostInfo) => void;
  const device = {
    n,
    lost: new Promise<GPUDeviceLostInfo>((r) => (resolveLost = r)),
    destroy: () => resolveLost({ reason: 'unknown', message: `device ${n} reset` } as GPUDeviceLostInfo),
  };
  return {
    device: device as unknown as GPUDevice,
    adapter: {} as GPUAdapter,
    caps: { label: `fake ${n}` } as AcquiredGpu['caps'],
  };
}

describe('GpuLease', () => {
  it('keeps one device until it is lost, fails waits at once on loss, then acquires a fresh one', async () => {
    let made = 0;
    const lease = new GpuLease(undefined, async () => fakeDevice(++made));
    const losses: number[] = [];
    lease.onLost((_, generation) => losses.push(generation));
    const a = await lease.get();
    expect(await lease.get()).toBe(a);
    const hanging = a.guard(new Promise(() => undefined));
    a.device.destroy();
    await expect(hanging).rejects.toBeInstanceOf(GpuDeviceLostError);
    await expect(hanging).rejects.toThrow(/device 1 reset/);
    const b = await lease.get();
    expect(b.generation).toBe(2);
    expect(b.caps.label).toBe('fake 2');
    expect(losses).toEqual([1]);
  });

  it('does not remember a failed acquisition, and reports no loss for close()', async () => {
    let attempts = 0;
    const lease = new GpuLease(undefined, async () => {
      if (++attempts === 1) throw new Error('no adapter yet');
      return fakeDevice(attempts);
    });
    await expect(lease.get()).rejects.toThrow(/no adapter yet/);
    const g = await lease.get();
    expect(g.caps.label).toBe('fake 2');
    const losses: number[] = [];
    lease.onLost((_, generation) => losses.push(generation));
    await lease.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(losses).toEqual([]);
    expect((await lease.get()).caps.label).toBe('fake 3');
  });
});
