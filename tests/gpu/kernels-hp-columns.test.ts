// The HP linear on X as columns (hp-columns.wgsl) and the f32 transpose (f32-transpose.wgsl) on
// real WebGPU (Dawn + SwiftShader) against the float64 CPU reference, through columnsView.
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { hpCase, type CaseResult } from '../../src/lab/kernel-verify';
import { COLUMN_TILES, columnGeometry, pickColumnTile } from '../../src/gpu/kernels/hp-columns';
import { shapeTile } from '../../src/gpu/kernels/hp-columns-ln';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

function expectOk(r: CaseResult) {
  expect(r.name).toContain('columns');
  expect(r.ok, `${r.name}: ${JSON.stringify(r.first)} (max error ${r.maxError})`).toBe(true);
}

describe('HP linear on X as columns', () => {
  // SwiftShader compiles the 8x8 tiles slowly (seconds each): one of them here, every tile in
  // `hp-lab bench verify` on real GPUs.
  test('the column tiles at Tr 32, rows out with GELU (ragged tokens) and columns out', async () => {
    for (const t of COLUMN_TILES.filter((c) => c.rt * c.ro < 4 || c.name === 'c64/8x8')) {
      expectOk(
        await hpCase(gpu, 137, 100, 72, 32, 16, { sparsity: 0.7 }, { columns: 'kernel', variant: t.name, gelu: true }),
      );
      expectOk(await hpCase(gpu, 68, 90, 64, 32, 8, { sparsity: 0.5 }, { columns: 'out-columns', variant: t.name }));
    }
  });

  test('Tr 8 and 16, a K-step forced to 4 columns, f16 values, the transpose in the pass', async () => {
    expectOk(await hpCase(gpu, 70, 77, 48, 8, 8, { sparsity: 0.5 }, { columns: 'kernel', variant: 'c32/4x4' }));
    expectOk(await hpCase(gpu, 70, 77, 48, 16, 16, { sparsity: 0.3 }, { columns: 'kernel', variant: 'c64/4x4/k4' }));
    expectOk(await hpCase(gpu, 33, 80, 40, 8, 8, { sparsity: 0.5 }, { columns: 'transpose', weights: 'f16' }));
  });

  test('TinyBERT shapes at 90 % (Q = 33 and 120 kept columns a tile-row), all pruned', async () => {
    expectOk(await hpCase(gpu, 132, 312, 1200, 32, 32, { sparsity: 0.9 }, { columns: 'transpose', gelu: true }));
    expectOk(await hpCase(gpu, 132, 1200, 312, 32, 32, { sparsity: 0.9 }, { columns: 'out-columns' }));
    expectOk(await hpCase(gpu, 129, 40, 24, 8, 8, { m: 0, k: 0 }, { columns: 'kernel' }));
  });

  test('the automatic tile and the K-step', () => {
    const limits = gpu.device.limits;
    expect(columnGeometry(32, 33, COLUMN_TILES[0])!.kc).toBe(11);
    expect(columnGeometry(32, 120, COLUMN_TILES[0])!.kc).toBe(15);
    // From 4096 tokens the 8x8 tile with K-steps of 8 where it makes >= 960 workgroups (Q/K/V, FFN-in).
    expect(pickColumnTile(limits, 32, 33, 31, 4096).name).toBe('c128/8x8/k8');
    expect(pickColumnTile(limits, 32, 33, 31, 2048).bt).toBeGreaterThanOrEqual(32);
    expect(pickColumnTile(limits, 32, 120, 10, 4096).name).not.toBe('c128/8x8/k8');
    expect(() => pickColumnTile(limits, 32, 33, 30, 4096, 'c99/1x1')).toThrow(/unknown/);
    // Per-shape forced tiles: that linear's entry, else the automatic choice.
    const spec = '312x968=c64/8x4+312x1200=c128/8x4';
    expect([shapeTile(spec, 312, 1200), shapeTile(spec, 1200, 312), shapeTile('c32/4x4', 1, 2)]).toEqual([
      'c128/8x4',
      undefined,
      'c32/4x4',
    ]);
  });
});
