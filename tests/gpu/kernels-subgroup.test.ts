// The few-token subgroup variants (dense-subgroup.wgsl, hp-subgroup.wgsl) on real WebGPU
// (Dawn + SwiftShader, whose subgroups are 4 wide) against the float64 CPU reference, and the
// rule that picks them: only with the 'subgroups' feature, only for few tokens.
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createDenseLinear, createHPLinear } from '../../src/gpu/kernels';
import {
  HP_SUBGROUP_MIN_KEPT,
  HP_SUBGROUP_MIN_LANES,
  SUBGROUP_MAX_TOKENS,
  SUBGROUP_TILE,
} from '../../src/gpu/kernels/variant-rule';
import { deviceHasSubgroups } from '../../src/gpu/kernels/subgroup-variant';
import { denseCase, hpCase, type CaseResult } from '../../src/lab/kernel-verify';
import { randomArray, randomHP, rng } from '../../src/gpu/kernels/random-hp';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
  // The dev machine's and CI's SwiftShader adapter has subgroups; say so loudly if it does not.
  expect(deviceHasSubgroups(gpu.device), `adapter ${gpu.caps.label} lacks 'subgroups'`).toBe(true);
});

function expectOk(r: CaseResult) {
  expect(r.ok, `${r.name}: ${JSON.stringify(r.first)} (max error ${r.maxError})`).toBe(true);
  expect(r.name).toContain(SUBGROUP_TILE);
}

const sg = { tile: SUBGROUP_TILE };

describe('dense subgroup variant', () => {
  test('token counts 1..9 and 32 (token blocks 1, 2, 4, 8 and ragged), ragged outputs, GELU, no bias', async () => {
    for (const tokens of [1, 2, 3, 5, 8, 9, 32])
      expectOk(await denseCase(gpu, tokens, 52, 67, { ...sg, gelu: tokens % 2 === 1 }));
    expectOk(await denseCase(gpu, 4, 8, 1, { ...sg, bias: false, viaPass: true }));
  });

  test('TinyBERT shapes, 16 tokens', async () => {
    expectOk(await denseCase(gpu, 16, 312, 312, sg));
    expectOk(await denseCase(gpu, 16, 312, 1200, { ...sg, gelu: true }));
    expectOk(await denseCase(gpu, 16, 1200, 312, sg));
  });

  test('random shapes with in % 4 == 0 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 90 }),
        fc.boolean(),
        fc.integer(),
        async (tokens, in4, nOut, gelu, seed) => {
          expectOk(await denseCase(gpu, tokens, 4 * in4, nOut, { ...sg, gelu, seed }));
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('HP subgroup variant', () => {
  test('every Tr x Tc in {8,16,32}^2, sparsity 0 / 50 / 90 / 99 %, ragged shape', async () => {
    for (const tr of [8, 16, 32]) {
      for (const tc of [8, 16, 32]) {
        for (const sparsity of [0, 0.5, 0.9, 0.99])
          expectOk(
            await hpCase(gpu, 7, 77, 45, tr, tc, { sparsity }, { variant: SUBGROUP_TILE, gelu: sparsity === 0.5 }),
          );
      }
    }
  });

  test('extremes: all pruned, one kept column, everything kept; TinyBERT shapes at 90 %', async () => {
    expectOk(await hpCase(gpu, 3, 40, 24, 8, 8, { m: 0, k: 0 }, { variant: SUBGROUP_TILE }));
    expectOk(await hpCase(gpu, 3, 40, 24, 8, 8, { m: 1, k: 1 }, { variant: SUBGROUP_TILE }));
    expectOk(await hpCase(gpu, 3, 40, 24, 16, 8, { m: 5, k: 8 }, { variant: SUBGROUP_TILE }));
    expectOk(await hpCase(gpu, 16, 312, 1200, 32, 32, { sparsity: 0.9 }, { variant: SUBGROUP_TILE, gelu: true }));
    expectOk(await hpCase(gpu, 16, 1200, 312, 32, 32, { sparsity: 0.9 }, { variant: SUBGROUP_TILE }));
  });

  test('random shapes, tiles and masks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom(8, 16, 32),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer(),
        async (tokens, nIn, nOut, tr, tc, sparsity, seed) =>
          expectOk(await hpCase(gpu, tokens, nIn, nOut, tr, tc, { sparsity }, { seed, variant: SUBGROUP_TILE })),
      ),
      { numRuns: 6 },
    );
  });
});

describe('choosing the variant', () => {
  test('few tokens on a subgroup device: subgroup; more tokens: a register tile', () => {
    const rand = rng(3);
    // HP's variant needs subgroups of >= 16 lanes (SwiftShader has 4): tested as if it had 32.
    const wide = { ...gpu.caps, subgroupMinSize: 32 };
    const dense = createDenseLinear(gpu.device, gpu.caps, {
      tokens: 256,
      in: 48,
      out: 64,
      weight: randomArray(64 * 48, rand),
    });
    const denseNarrow = createDenseLinear(gpu.device, gpu.caps, {
      tokens: 256,
      in: 64,
      out: 48,
      weight: randomArray(64 * 48, rand),
    });
    // Q = m*k = 16 kept columns per tile-row (few) and 4 * 16 = 64 (enough for the larger limit).
    const hpFew = createHPLinear(gpu.device, wide, { tokens: 256, hp: randomHP(48, 64, 16, 16, 2, 8, rand) });
    const hpMany = createHPLinear(gpu.device, wide, { tokens: 256, hp: randomHP(48, 64, 16, 16, 4, 16, rand) });
    const limits = [
      [dense, SUBGROUP_MAX_TOKENS.dense],
      [denseNarrow, SUBGROUP_MAX_TOKENS.denseNarrow],
      [hpFew, SUBGROUP_MAX_TOKENS.hpFewKept],
      [hpMany, SUBGROUP_MAX_TOKENS.hp],
    ] as const;
    expect(HP_SUBGROUP_MIN_KEPT).toBe(64);
    for (const [lin, max] of limits) {
      expect(lin.tileFor(1)).toBe(SUBGROUP_TILE);
      expect(lin.tileFor(max)).toBe(SUBGROUP_TILE);
      expect(lin.tileFor(max + 1)).not.toBe(SUBGROUP_TILE);
      lin.destroy();
    }
    // With this adapter's own 4-lane subgroups HP keeps its tiled kernel.
    expect(gpu.caps.subgroupMinSize).toBeLessThan(HP_SUBGROUP_MIN_LANES);
    const hpHere = createHPLinear(gpu.device, gpu.caps, { tokens: 256, hp: randomHP(48, 64, 16, 16, 4, 16, rand) });
    expect(hpHere.tileFor(1)).not.toBe(SUBGROUP_TILE);
    hpHere.destroy();
  });

  test('dense with in % 4 != 0 keeps the tiled kernel; forcing the variant there is refused', () => {
    const opts = { tokens: 8, in: 45, out: 20, weight: randomArray(45 * 20, rng(4)) };
    const auto = createDenseLinear(gpu.device, gpu.caps, opts);
    expect(auto.tileFor(8)).not.toBe(SUBGROUP_TILE);
    auto.destroy();
    const forced = createDenseLinear(gpu.device, gpu.caps, { ...opts, tile: SUBGROUP_TILE });
    expect(() => forced.tileFor(8)).toThrow(/in % 4 == 0/);
    forced.destroy();
  });
});
