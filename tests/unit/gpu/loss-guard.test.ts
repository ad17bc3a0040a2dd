import { describe, expect, it } from 'vitest';
import { GpuDeviceLostError, lossGuard } from '../../../src/gpu/loss-guard';

function fakeDevice() {
  let lose!: (info: GPUDeviceLostInfo) => void;
  const lost = new Promise<GPUDeviceLostInfo>((r) => (lose = r));
  return { device: { lost }, lose };
}

describe('lossGuard', () => {
  it('passes results through while the device lives', async () => {
    const { device } = fakeDevice();
    expect(await lossGuard(device)(Promise.resolve(42))).toBe(42);
  });

  it('rejects a pending wait with GpuDeviceLostError naming the reason, and calls onLost once', async () => {
    const { device, lose } = fakeDevice();
    let calls = 0;
    const guard = lossGuard(device, () => calls++);
    const never = guard(new Promise(() => {}));
    lose({ reason: 'unknown', message: 'driver reset' } as GPUDeviceLostInfo);
    await expect(never).rejects.toBeInstanceOf(GpuDeviceLostError);
    await expect(guard(new Promise(() => {}))).rejects.toThrow(/lost during the measurement \(unknown: driver reset\)/);
    expect(calls).toBe(1);
  });
});
