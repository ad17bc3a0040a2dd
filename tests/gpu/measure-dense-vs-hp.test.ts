// The "Measure my GPU" case on real WebGPU (Dawn + SwiftShader): tiny shapes, both kernels
// verified against the CPU reference, the HP density and FLOP counts consistent with the config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { caseData, measureCase, referenceRows } from '../../src/lab/kernel-bench';
import { GpuLimitError } from '../../src/gpu/limits';
import type { PruneConfig } from '../../src/core/pruning';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});
afterAll(async () => {
  await gpu.device.queue.onSubmittedWorkDone();
});

const config: PruneConfig = {
  pattern: 'unstructured',
  sparsity: 0.75,
  split: 0.5,
  tr: 16,
  tc: 16,
  score: 'activation',
};

describe('measureCase', () => {
  it('times and verifies dense and HP on a non-square shape; HP pattern and magnitude forced', async () => {
    const c = { name: 'tiny', tokens: 24, in: 64, out: 48 };
    const data = caseData(c, config);
    expect(data.hp.tr).toBe(16);
    const r = await measureCase(gpu, c, data, { budgetMs: 20, maxReps: 5 });
    expect(r.dense.verified).toBe(true);
    expect(r.hp.verified).toBe(true);
    expect(r.density).toBeCloseTo(0.25, 2);
    expect(r.kept).toBe(Math.round(r.density * 64 * 48));
    expect(r.dense.flops).toBe(2 * 24 * 64 * 48);
    expect(r.hp.flops).toBeLessThan(r.dense.flops);
    expect(r.dense.reps).toBeGreaterThanOrEqual(3);
    expect(r.dense.ms).toBeGreaterThan(0);
    expect(r.hp.ms).toBeGreaterThan(0);
    expect(r.speedup).toBeCloseTo(r.dense.ms / r.hp.ms, 10);
    expect(r.hpDenseEquivGflops / r.hpGflops).toBeCloseTo(1 / r.density, 6);
    expect(r.checkedRows).toBe(referenceRows(c).length);
    expect(['timestamp', 'wall']).toContain(r.dense.timing);
  });

  it('holds the clock before each timing where the adapter is hardware (forced here), the same results', async () => {
    const c = { name: 'tiny', tokens: 24, in: 64, out: 48 };
    const data = caseData(c, config);
    const hardware = { ...gpu, caps: { ...gpu.caps, isFallbackAdapter: false } };
    const r = await measureCase(hardware, c, data, { budgetMs: 20, maxReps: 5, holdClockMs: 30 });
    for (const k of [r.dense, r.hp]) {
      expect(k.verified).toBe(true);
      expect(k.ms).toBeGreaterThan(0);
      // At least 30 ms of chunks, each a positive time a run.
      expect(k.clockHold!.length).toBeGreaterThanOrEqual(1);
      expect(Math.min(...k.clockHold!)).toBeGreaterThan(0);
    }
    // Not on the software adapter as it is, nor without holdClockMs.
    const sw = await measureCase(gpu, c, data, { budgetMs: 20, maxReps: 5, holdClockMs: 30 });
    expect(sw.dense.clockHold).toBeUndefined();
    const none = await measureCase(hardware, c, data, { budgetMs: 20, maxReps: 5 });
    expect(none.hp.clockHold).toBeUndefined();
  });

  it('reports a shape beyond the device limits as GpuLimitError before any work', async () => {
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    const tokens = Math.ceil(limit / 4 / 16) + 16;
    const c = { name: 'too many tokens', tokens, in: 16, out: 16 };
    // Only X would be oversized; build the data without allocating it.
    const data = { ...caseData({ ...c, tokens: 1 }, config), x: new Float32Array(0) };
    await expect(measureCase(gpu, c, data)).rejects.toBeInstanceOf(GpuLimitError);
  });
});
