// HP-sparse linear kernel on real WebGPU (Dawn + SwiftShader) against a float64 CPU reference:
// every Tr, Tc in {8,16,32}, sparsity 0..99 %, every tile variant, extremes, TinyBERT shapes.
// Token counts stay above SUBGROUP_MAX_TOKENS.hp so the tiled kernel runs (kernels-subgroup.test.ts
// covers the few-token variant).
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createHPLinear } from '../../src/gpu/kernels';
import { HP_TILES, hpGeometry } from '../../src/gpu/kernels/variant-rule';
import { hpCase, type CaseResult } from '../../src/lab/kernel-verify';
import { randomHP, rng } from '../../src/gpu/kernels/random-hp';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

function expectOk(r: CaseResult) {
  expect(r.name).not.toContain('variant=subgroup');
  expect(r.ok, `${r.name}: ${JSON.stringify(r.first)} (max error ${r.maxError})`).toBe(true);
}

describe('HP linear', () => {
  test('every Tr x Tc in {8,16,32}^2 at 50 % with GELU, ragged shape', async () => {
    for (const tr of [8, 16, 32])
      for (const tc of [8, 16, 32]) expectOk(await hpCase(gpu, 133, 77, 45, tr, tc, { sparsity: 0.5 }, { gelu: true }));
  });

  test('sparsity 0 %, 90 %, 99 % (Tr=Tc=16)', async () => {
    for (const sparsity of [0, 0.9, 0.99]) expectOk(await hpCase(gpu, 140, 130, 50, 16, 16, { sparsity }));
  });

  test('every tile variant that fits each Tr', async () => {
    for (const tr of [8, 16, 32]) {
      for (const v of HP_TILES) {
        if (hpGeometry(tr, v) === null) continue;
        // out % 4 == 0 (vec4 stores), not a multiple of Tr (a partial tile-row)
        expectOk(await hpCase(gpu, 37, 100, 68, tr, 16, { sparsity: 0.7 }, { variant: v.name }));
      }
    }
  });

  test('extremes: all pruned (m=0 or k=0: Y = b), one kept column, everything kept', async () => {
    expectOk(await hpCase(gpu, 129, 40, 24, 8, 8, { m: 0, k: 0 }));
    expectOk(await hpCase(gpu, 129, 40, 24, 8, 8, { m: 3, k: 0 }));
    expectOk(await hpCase(gpu, 129, 40, 24, 8, 8, { m: 1, k: 1 }));
    expectOk(await hpCase(gpu, 129, 40, 24, 16, 8, { m: 5, k: 8 }));
  });

  test('TinyBERT shapes at 90 %, 136 tokens: 312x312, 312->1200 GELU, 1200->312', async () => {
    expectOk(await hpCase(gpu, 136, 312, 312, 32, 32, { sparsity: 0.9 }));
    expectOk(await hpCase(gpu, 136, 312, 1200, 32, 32, { sparsity: 0.9 }, { gelu: true }));
    expectOk(await hpCase(gpu, 136, 1200, 312, 32, 32, { sparsity: 0.9 }));
  });

  test('random shapes, tiles and masks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 129, max: 160 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom(8, 16, 32),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer(),
        async (tokens, nIn, nOut, tr, tc, sparsity, seed) =>
          expectOk(await hpCase(gpu, tokens, nIn, nOut, tr, tc, { sparsity }, { seed })),
      ),
      { numRuns: 5 },
    );
  });

  test('Tr not a multiple of 4 is refused with a clear error', () => {
    const hp = randomHP(6, 6, 6, 4, 1, 2, rng(1));
    expect(() => createHPLinear(gpu.device, gpu.caps, { tokens: 2, hp })).toThrow(/Tr a multiple of 4/);
  });
});
