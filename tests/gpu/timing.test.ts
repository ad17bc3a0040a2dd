// GPU timing (src/gpu/timing.ts) on real WebGPU (Dawn + SwiftShader, which has timestamps):
// short work is repeated inside one timestamped pass until the pass is long enough to read.
import { beforeAll, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { timeCompute } from '../../src/gpu/timing';
import { nudgeByDefault, nudged, readbackFloor } from '../../src/gpu/readback-floor';
import { createDenseLinear } from '../../src/gpu/kernels';
import { randomArray, rng } from '../../src/gpu/kernels/random-hp';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
  expect(gpu.device.features.has('timestamp-query')).toBe(true);
});

test('a tiny kernel is repeated inside the pass; per-repeat time = pass time / repeats', async () => {
  const { device, caps } = gpu;
  const lin = createDenseLinear(device, caps, { tokens: 2, in: 8, out: 8, weight: randomArray(64, rng(1)) });
  const x = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
  const y = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
  let recorded = 0;
  const t = await timeCompute(device, (pass) => (recorded++, lin.encode(pass, x, y, 2)), {
    reps: 5,
    warmup: 1,
    // SwiftShader's timestamps count CPU time, and a busy machine can stall one pass for a few ms:
    // 20 ms, not the default 2, is out of reach for one repeat of this kernel.
    minSampleMs: 20,
  });
  expect(t.timing).toBe('timestamp');
  // A 2x8x8 product takes microseconds: one pass of it cannot reach 20 ms, so it was repeated,
  // and every timed pass recorded it that many times (no assertion on durations: timing
  // varies with the machine's load).
  expect(t.repeatsPerSample).toBeGreaterThan(1);
  expect(t.samples).toHaveLength(5);
  expect(recorded).toBeGreaterThanOrEqual(1 + 5 * t.repeatsPerSample);
  for (const s of t.samples) expect(s).toBeGreaterThan(0);
  const wall = await timeCompute(device, (pass) => lin.encode(pass, x, y, 2), { reps: 5, warmup: 1, wall: true });
  expect(wall.timing).toBe('wall');
  lin.destroy();
  x.destroy();
  y.destroy();
});

test('a pass long enough with one repeat is timed as it is: the first pass is already a sample', async () => {
  const { device, caps } = gpu;
  const tokens = 64,
    n = 128;
  const lin = createDenseLinear(device, caps, { tokens, in: n, out: n, weight: randomArray(n * n, rng(2)) });
  const x = device.createBuffer({ size: tokens * n * 4, usage: GPUBufferUsage.STORAGE });
  const y = device.createBuffer({ size: tokens * n * 4, usage: GPUBufferUsage.STORAGE });
  let recorded = 0;
  // 64 x 128 x 128 on SwiftShader is far above 1 µs: no repeats, and no pass beyond the 3 timed.
  const t = await timeCompute(device, (pass) => (recorded++, lin.encode(pass, x, y, tokens)), {
    reps: 3,
    warmup: 1,
    minSampleMs: 1e-3,
  });
  expect(t).toMatchObject({ timing: 'timestamp', repeatsPerSample: 1 });
  expect(t.samples).toHaveLength(3);
  expect(recorded).toBe(1 + 3);
  lin.destroy();
  x.destroy();
  y.destroy();
});

test('readback floor: positive medians; nudged() gives the awaited value, submitting while it waits', async () => {
  const { device } = gpu;
  const floor = await readbackFloor(device, 3);
  for (const ms of [floor.emptySubmitMs, floor.mapReadMs, floor.mapReadNudgedMs]) expect(ms).toBeGreaterThan(0);
  const submit = device.queue.submit.bind(device.queue);
  let empties = 0;
  device.queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    if ([...buffers].length === 0) empties++;
    return submit(buffers);
  };
  try {
    const later = new Promise<string>((resolve) => setTimeout(() => resolve('logits'), 20));
    expect(await nudged(device, later)).toBe('logits');
    expect(empties).toBeGreaterThan(0);
    await expect(nudged(device, Promise.reject(new Error('lost')))).rejects.toThrow('lost');
    // The engine nudges by default only in a browser on a hardware adapter: not here (Node).
    expect(nudgeByDefault({ isFallbackAdapter: false })).toBe(false);
    expect(nudgeByDefault(gpu.caps)).toBe(false);
  } finally {
    device.queue.submit = submit;
  }
});
