import { describe, expect, it } from 'vitest';
import { GpuSession, type GpuStatus } from '../../../src/lab/gpu-session';

/** A fake adapter/device pair: enough of WebGPU's surface for the session logic. */
function fakeGpu({ adapter = true, deviceFails = 0 } = {}) {
  let failuresLeft = deviceFails;
  const devices: { destroy(): void; lost: Promise<GPUDeviceLostInfo> }[] = [];
  const gpu = {
    async requestAdapter() {
      if (!adapter) return null;
      return {
        features: new Set<string>(['timestamp-query']),
        limits: { maxBufferSize: 1 << 30 },
        info: { vendor: 'acme', architecture: 'test', device: '', description: 'Acme Test GPU' },
        async requestDevice() {
          if (failuresLeft-- > 0) throw new Error('out of memory');
          let resolveLost!: (info: GPUDeviceLostInfo) => void;
          const device = {
            lost: new Promise<GPUDeviceLostInfo>((r) => (resolveLost = r)),
            destroy: () => resolveLost({ reason: 'destroyed', message: 'gone' } as GPUDeviceLostInfo),
          };
          devices.push(device);
          return device;
        },
      };
    },
  } as unknown as GPU;
  return { gpu, devices };
}

async function settle(statuses: GpuStatus[], state: GpuStatus['state']) {
  for (let i = 0; i < 100 && statuses.at(-1)?.state !== state; i++) await new Promise((r) => setTimeout(r, 20));
  return statuses.at(-1);
}

describe('GpuSession', () => {
  it('reports no WebGPU when navigator.gpu is missing', async () => {
    const statuses: GpuStatus[] = [];
    await new GpuSession(undefined, (s) => statuses.push(s)).start();
    expect(statuses.at(-1)).toMatchObject({ state: 'unavailable', reason: 'no-webgpu' });
  });

  it('reports a null adapter', async () => {
    const statuses: GpuStatus[] = [];
    await new GpuSession(fakeGpu({ adapter: false }).gpu, (s) => statuses.push(s)).start();
    expect(statuses.at(-1)).toMatchObject({ state: 'unavailable', reason: 'no-adapter' });
  });

  it('reports a failed device request with its cause', async () => {
    const statuses: GpuStatus[] = [];
    await new GpuSession(fakeGpu({ deviceFails: 1 }).gpu, (s) => statuses.push(s)).start();
    expect(statuses.at(-1)).toMatchObject({ state: 'unavailable', reason: 'device-request-failed' });
    expect((statuses.at(-1) as { message: string }).message).toMatch(/out of memory/);
  });

  it('names the adapter and re-acquires a lost device', async () => {
    const { gpu, devices } = fakeGpu();
    const statuses: GpuStatus[] = [];
    const session = new GpuSession(gpu, (s) => statuses.push(s));
    await session.start();
    expect(statuses.at(-1)).toMatchObject({
      state: 'ready',
      generation: 1,
      caps: { label: 'Acme Test GPU', hasTimestampQuery: true },
    });
    session.simulateLoss();
    await settle(statuses, 'lost');
    expect(await settle(statuses, 'ready')).toMatchObject({ state: 'ready', generation: 2 });
    expect(devices).toHaveLength(2);
    expect(statuses.map((s) => s.state)).toEqual(['probing', 'ready', 'lost', 'ready']);
  });

  it('gives up with a clear message when the device cannot come back', async () => {
    const { gpu } = fakeGpu();
    const statuses: GpuStatus[] = [];
    const session = new GpuSession(gpu, (s) => statuses.push(s));
    await session.start();
    // From now on every device request fails.
    (gpu as unknown as { requestAdapter: () => Promise<null> }).requestAdapter = async () => null;
    session.simulateLoss();
    const last = await settle(statuses, 'unavailable');
    expect(last).toMatchObject({ state: 'unavailable', reason: 'reacquire-failed' });
  });
});
