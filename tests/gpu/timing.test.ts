// GPU timing (src/gpu/timing.ts) on real WebGPU (Dawn + SwiftShader, which has timestamps):
// short work is repeated inside one timestamped pass until the pass is long enough to read.
import { beforeAll, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { timeCompute } from '../../src/gpu/timing';
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
  const t = await timeCompute(device, (pass) => lin.encode(pass, x, y, 2), { reps: 5, warmup: 1, minSampleMs: 2 });
  expect(t.timing).toBe('timestamp');
  expect(t.repeatsPerSample).toBeGreaterThan(1);
  expect(t.samples).toHaveLength(5);
  // Each sample covered >= minSampleMs of GPU time in total (the probe's stopping rule).
  for (const s of t.samples) expect(s * t.repeatsPerSample).toBeGreaterThan(1);
  expect(t.msMedian).toBeLessThan(2);
  const wall = await timeCompute(device, (pass) => lin.encode(pass, x, y, 2), { reps: 5, warmup: 1, wall: true });
  expect(wall.timing).toBe('wall');
  lin.destroy();
  x.destroy();
  y.destroy();
});
