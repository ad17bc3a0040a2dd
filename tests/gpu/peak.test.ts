// hp-lab bench peak's kernels (gpu/kernels/peak.ts, lab/peak-bench.ts) on SwiftShader: each one
// runs and its output is what the CPU predicts exactly (dot4I8Packed / dot4U8Packed and fma
// chains replayed, the MMA strips counted), at a small grid; the MMA kernels with the
// subgroup-matrix builtins emulated (subgroup-matrix-emulation.ts), so the i8 16x16x32 and
// 16x8x32 and u8 configurations, registers and both workgroup-memory forms are checked.
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { benchPeak, peakKernels } from '../../src/lab/peak-bench';
import { expectedAlu, mmaPeaks, peakName, peakOps } from '../../src/gpu/kernels/peak';
import { withEmulatedSubgroupMatrix } from './subgroup-matrix-emulation';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

describe('bench peak kernels', () => {
  test('dot4 (i8, u8) and fma chains: every sampled invocation as replayed on the CPU', async () => {
    const rows = await benchPeak(gpu, { families: ['dot4', 'fma'], workgroups: 3, aluIters: 5, reps: 1, samples: 768 });
    expect(rows.map((r) => r.kernel)).toEqual([
      'dot4-i8-x4',
      'dot4-i8-x8',
      'dot4-i8-x16',
      'dot4-u8-x8',
      'fma-f32-x4',
      'fma-f32-x8',
      'fma-f32-x16',
    ]);
    for (const r of rows) {
      expect(r.error).toBeUndefined();
      expect(r).toMatchObject({ verified: true, mismatches: 0, checked: 768 });
      expect(r.ops).toBe(3 * 256 * Number(r.kernel.split('-x')[1]) * 5 * 4 * (r.kernel.startsWith('fma') ? 2 : 8));
      expect(r.ms_median).toBeGreaterThan(0);
    }
    // The replay is not trivially equal for any input: a different b or step count changes it.
    const p = { kind: 'dot4-i8', nacc: 4 } as const;
    expect(expectedAlu(p, 7, 5, 123)).not.toBe(expectedAlu(p, 7, 5, 124));
    expect(expectedAlu(p, 7, 5, 123)).not.toBe(expectedAlu(p, 7, 6, 123));
  }, 120_000);

  test('subgroup-matrix kernels (emulated): every strip counted exactly, each configuration', async () => {
    const emulated = withEmulatedSubgroupMatrix(gpu);
    const configs = [
      { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 },
      { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 8, K: 32 },
      { componentType: 'u8', resultComponentType: 'u32', M: 16, N: 8, K: 32 },
    ];
    // The adapter's configurations decide the list; here the emulated ones, a few layouts each.
    const kernels = mmaPeaks(configs).map(peakName);
    expect(kernels).toContain('mma-i8-16x16x32-4x4');
    expect(kernels).toContain('mma-i8-16x8x32-2x2-ldsb');
    expect(kernels).toContain('mma-u8-16x8x32-2x1');
    const only = ['mma-i8-16x16x32-2x1', 'mma-i8-16x8x32-2x2-lds', 'mma-i8-16x16x32-2x2-ldsb', 'mma-u8-16x8x32-1x1'];
    const withConfigs = { ...emulated, caps: { ...emulated.caps, subgroupMatrixConfigs: configs } };
    expect(peakKernels(withConfigs, { families: ['mma'], only }).map(peakName)).toEqual([
      'mma-i8-16x16x32-2x1',
      'mma-i8-16x16x32-2x2-ldsb',
      'mma-i8-16x8x32-2x2-lds',
      'mma-u8-16x8x32-1x1',
    ]);
    const rows = await benchPeak(withConfigs, { families: ['mma'], only, workgroups: 2, mmaIters: 2, reps: 1 });
    for (const r of rows) {
      expect(r.error, r.kernel).toBeUndefined();
      expect(r, r.kernel).toMatchObject({ verified: true, mismatches: 0 });
      const [m, n] = r.kernel.split('-')[2].split('x').map(Number);
      expect(r.checked).toBe(2 * 4 * m * n);
    }
    const p = { kind: 'mma', component: 'i8', m: 16, n: 16, k: 32, fa: 2, fb: 1, operands: 'reg' } as const;
    expect(rows[0].ops).toBe(peakOps(p, 2, 2));
    expect(peakOps(p, 2, 2)).toBe(2 * 4 * 2 * 1 * 2 * 4 * 2 * 16 * 16 * 32);
  }, 600_000);
});
