// f16 weights (weight-quad.wgsl): every linear kernel reading W or the HP values as f16 pairs,
// on real WebGPU (Dawn + SwiftShader), against the float64 reference on the f16-rounded weights.
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createDenseLinear, createHPLinear } from '../../src/gpu/kernels';
import { HP_TILES, SUBGROUP_TILE, denseTilesFor, hpGeometry } from '../../src/gpu/kernels/variant-rule';
import { denseCase, hpCase, type CaseResult } from '../../src/lab/kernel-verify';
import { compareRows, denseReference, sampleRows } from '../../src/gpu/kernels/cpu-reference';
import { randomArray, randomHP, rng } from '../../src/gpu/kernels/random-hp';
import { runLinear } from './kernels-helpers';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

const weights = 'f16' as const;
function expectOk(r: CaseResult) {
  expect(r.ok, `${r.name}: ${JSON.stringify(r.first)} (max error ${r.maxError})`).toBe(true);
  expect(r.name).toContain('f16 weights');
}

describe('dense, f16 weights', () => {
  test('every register tile and the subgroup variant, ragged outputs, GELU', async () => {
    for (const t of denseTilesFor(gpu.caps))
      expectOk(await denseCase(gpu, 70, 52, 67, { tile: t.name, gelu: true, weights }));
    expectOk(await denseCase(gpu, 9, 312, 1200, { tile: SUBGROUP_TILE, gelu: true, weights }));
    expectOk(await denseCase(gpu, 136, 1200, 312, { weights }));
  });

  test('the GPU really reads f16: it matches the rounded weights, not the f32 ones', async () => {
    const [tokens, nIn, nOut] = [70, 64, 48];
    const rand = rng(11);
    const x = randomArray(tokens * nIn, rand);
    const w = randomArray(nOut * nIn, rand, 0.5);
    const lin = createDenseLinear(gpu.device, gpu.caps, { tokens, in: nIn, out: nOut, weight: w, weights });
    const f32Bytes = nIn * nOut * 4;
    expect(lin.weightBytes).toBeLessThan(f32Bytes * 0.6);
    const y = await runLinear(gpu.device, lin, x, tokens);
    lin.destroy();
    const rows = sampleRows(tokens, tokens);
    // f16 keeps 11 significant bits: against f32 weights the error is ~1e-3 relative, far
    // above the 2e-5 the comparison allows.
    expect(compareRows(y, denseReference(x, w, undefined, nIn, nOut, rows), rows, nOut).ok).toBe(false);
  });

  test('in % 4 != 0 is refused with a clear error', () => {
    expect(() =>
      createDenseLinear(gpu.device, gpu.caps, { tokens: 4, in: 45, out: 8, weight: new Float32Array(45 * 8), weights }),
    ).toThrow(/in % 4 == 0/);
  });
});

describe('HP, f16 values', () => {
  test('every tile variant that fits each Tr, and the subgroup variant', async () => {
    for (const tr of [8, 16, 32]) {
      for (const v of HP_TILES)
        if (hpGeometry(tr, v) !== null)
          expectOk(await hpCase(gpu, 37, 100, 70, tr, 16, { sparsity: 0.7 }, { variant: v.name, weights }));
      expectOk(
        await hpCase(gpu, 7, 77, 45, tr, 16, { sparsity: 0.5 }, { variant: SUBGROUP_TILE, weights, gelu: true }),
      );
    }
  });

  test('sparsity 0 %, 90 %, 99 %, all pruned; TinyBERT FFN-out at 90 %', async () => {
    for (const sparsity of [0, 0.9, 0.99]) expectOk(await hpCase(gpu, 140, 130, 50, 16, 16, { sparsity }, { weights }));
    expectOk(await hpCase(gpu, 129, 40, 24, 8, 8, { m: 0, k: 0 }, { weights }));
    expectOk(await hpCase(gpu, 136, 1200, 312, 32, 32, { sparsity: 0.9 }, { weights }));
  });

  test('random shapes, tiles and masks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 160 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom(8, 16, 32),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer(),
        async (tokens, nIn, nOut, tr, tc, sparsity, seed) =>
          expectOk(await hpCase(gpu, tokens, nIn, nOut, tr, tc, { sparsity }, { seed, weights })),
      ),
      { numRuns: 5 },
    );
  });

  test('the values buffer is half the size', () => {
    const hp = randomHP(64, 64, 16, 16, 2, 8, rng(5));
    const f32 = createHPLinear(gpu.device, gpu.caps, { tokens: 8, hp });
    const f16 = createHPLinear(gpu.device, gpu.caps, { tokens: 8, hp, weights });
    const valueBytes = hp.values.length * 4;
    expect(f32.weightBytes - f16.weightBytes).toBeGreaterThanOrEqual(valueBytes / 2 - 16);
    f32.destroy();
    f16.destroy();
  });
});
