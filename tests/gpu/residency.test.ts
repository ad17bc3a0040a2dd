// hp-lab bench residency (gpu/kernels/residency.ts, lab/residency-bench.ts) on SwiftShader: every
// workgroup counts itself in and out, the most live at once is within [1, dispatched], sampled loop
// hashes equal the CPU's replay, and a shape over the device's limits is reported, not run.
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { benchResidency } from '../../src/lab/residency-bench';
import { expectedResidencyWord, parseResidencyShape, residencyName } from '../../src/gpu/kernels/residency';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

describe('bench residency', () => {
  test('counts every workgroup in and out and replays the loop', async () => {
    const shapes = ['t32-s4-r0', 't64-s8192-r0', 't128-s4-r5'];
    const rows = await benchResidency(gpu, { shapes, workgroups: 24, spin: 50, units: 2, samples: 64 });
    expect(rows.map((r) => r.shape)).toEqual(shapes);
    for (const r of rows) {
      expect(r.error).toBeUndefined();
      expect(r.verified).toBe(true);
      expect(r.resident).toBeGreaterThanOrEqual(1);
      expect(r.resident).toBeLessThanOrEqual(24);
      expect(r.per_unit).toBeCloseTo(r.resident / 2, 2);
    }
  }, 60_000);

  test('the replay depends on the loop (a skipped step or another seed would not match)', () => {
    const s = parseResidencyShape('t64-s16-r3');
    expect(residencyName(s)).toBe('t64-s16-r3');
    const w = expectedResidencyWord(s, 5, 40, 7);
    expect(expectedResidencyWord(s, 5, 39, 7)).not.toBe(w);
    expect(expectedResidencyWord(s, 5, 40, 8)).not.toBe(w);
    expect(expectedResidencyWord({ ...s, live: 2 }, 5, 40, 7)).not.toBe(w);
  });

  test('a shape over the limits is reported with the limit; a malformed one throws', async () => {
    const big = `t64-s${gpu.device.limits.maxComputeWorkgroupStorageSize + 4}-r0`;
    const [r] = await benchResidency(gpu, { shapes: [big], workgroups: 4, spin: 4 });
    expect(r.verified).toBe(false);
    expect(r.error).toMatch(/over this device's limits: .*workgroup memory/);
    expect(() => parseResidencyShape('t64-16-r0')).toThrow(/tTHREADS-sBYTES-rLIVE/);
  });
});
