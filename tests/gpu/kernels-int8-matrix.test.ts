// The int8 tensor-core kernel (int8-matrix.wgsl) on SwiftShader, whose Vulkan driver has no
// subgroup matrices: the device is wrapped to offer them, with the five builtins in plain WGSL
// (subgroup-matrix-emulation.ts), so the kernel's own staging, double buffering, HP column loads
// and epilogue run, and its outputs must be the CPU int8 reference's bit for bit. (Real tensor cores:
// `hp-lab bench matmul|hp --quant int8` verifies every variant on the GPU it runs on.)
import { beforeAll, describe, expect, test } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createInt8Linear, type Int8Weights } from '../../src/gpu/kernels/int8-linear';
import { createInt8GpuLinear } from '../../src/gpu/kernels/int8-gpu-linear';
import { intDenseLinear, intHPLinear, quantizeHP, quantizeRows } from '../../src/core/quant';
import { pruneMatrix } from '../../src/core/pruning/prune-matrix';
import { randomArray, rng, runLinear } from './kernels-helpers';
import { emulateSubgroupMatrix, withEmulatedSubgroupMatrix } from './subgroup-matrix-emulation';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = withEmulatedSubgroupMatrix(await nodeGpu());
});

const tokens = 70,
  nIn = 100, // K padded to 128: two 64-code stages, the second half empty
  nOut = 72;
const rand = rng(21);
const x = randomArray(tokens * nIn, rand);
for (let i = 0; i < nIn; i++) x[5 * nIn + i] *= 1e-3; // rows of different magnitudes
const w = randomArray(nOut * nIn, rand, 0.3);
const bias = randomArray(nOut, rand, 0.1);
const xq = quantizeRows(x, tokens, nIn, 8);

async function run(weights: Int8Weights, variant: string | undefined, expectName: RegExp): Promise<Float32Array> {
  const { device, caps } = gpu;
  device.pushErrorScope('validation');
  const lin = createInt8GpuLinear(device, caps, weights, { tokens, bias, variant });
  expect(lin.tileFor(tokens)).toMatch(expectName);
  const y = await runLinear(device, lin, x, tokens);
  expect((await device.popErrorScope())?.message).toBeUndefined();
  lin.destroy();
  return y;
}

/** Random X (t2 x k2) and int8 W (n2 x k2) through `variant` (its name checked), and the CPU reference. */
async function denseCase(t2: number, k2: number, n2: number, variant: string) {
  const x2 = randomArray(t2 * k2, rand);
  const w2 = quantizeRows(randomArray(n2 * k2, rand, 0.3), n2, k2, 8);
  const ref = intDenseLinear(quantizeRows(x2, t2, k2, 8), w2, bias.subarray(0, n2));
  const lin = createInt8GpuLinear(
    gpu.device,
    gpu.caps,
    { kind: 'dense', weight: w2 },
    { tokens: t2, bias: bias.subarray(0, n2), variant },
  );
  expect(lin.tileFor(t2)).toMatch(new RegExp(`${variant}$`));
  const y = await runLinear(gpu.device, lin, x2, t2);
  lin.destroy();
  return { y, ref };
}

describe('int8 subgroup-matrix kernel (emulated builtins)', () => {
  test('the emulation replaces every builtin and leaves other shaders alone', () => {
    expect(emulateSubgroupMatrix('fn main() {}')).toBe('fn main() {}');
    expect(() =>
      emulateSubgroupMatrix('enable chromium_experimental_subgroup_matrix;\nvar m: subgroup_matrix_left<f32, 8, 8>;'),
    ).toThrow(/left over/);
  });

  const DENSE_64 = 'dense 64 x 64 blocks, flat and banded workgroup memory (ragged tokens, outputs and K): bit for bit';
  test(
    DENSE_64,
    async () => {
      const wq = quantizeRows(w, nOut, nIn, 8);
      const ref = intDenseLinear(xq, wq, bias);
      expect(await run({ kind: 'dense', weight: wq }, 'matrix-64', /matrix-64$/)).toEqual(ref);
      // Automatic: the matrix path where the device has it, banded workgroup memory (fragment
      // loads at constant offsets into an indexed band); 64 x 64 on SwiftShader's 32 KiB.
      expect(await run({ kind: 'dense', weight: wq }, undefined, /matrix-64b$/)).toEqual(ref);
      // Tiles that do not fit SwiftShader's 32 KiB of workgroup memory are refused, not run.
      const big = createInt8Linear(
        gpu.device,
        gpu.caps,
        { kind: 'dense', weight: wq },
        { tokens, variant: 'matrix-128' },
      );
      expect(() => big.variantFor(tokens)).toThrow(/room for its tile/);
      big.destroy();
    },
    300_000,
  );

  const SMALL_BANDED =
    'dense, one stage buffer, the epilogue written out: two results a band, or a fragment at a time: bit for bit';
  test(
    SMALL_BANDED,
    async () => {
      // 33 tokens x 160 -> 40: ragged tokens and outputs (two blocks of 32 rows, outputs past 40 skipped).
      // matrix-32x64b1ke: a second barrier a stage instead of a second buffer (two stages of 128, the
      // second part-filled), the 16 x 16 results two to a band (EPB) and the strip loop written out.
      // matrix-32x64b1f: three stages of 64; 4 result fragments a subgroup, each stored to the
      // subgroup's one band and finished before the next (EPF).
      for (const variant of ['matrix-32x64b1ke', 'matrix-32x64b1f']) {
        const { y, ref } = await denseCase(33, 160, 40, variant);
        expect(y, variant).toEqual(ref);
      }
    },
    300_000,
  );

  test('HP on X as columns (16x16, 32x32 at 90 and 30 %, ragged): bit for bit', async () => {
    // X as columns (int8-transpose), kept columns byte-transposed into banded rows, one tile-row a
    // workgroup; its MMA loop is the dense banded one (the automatic dense case above). 'matrix'
    // (matrix-x64e1p: 64 tokens, two blocks, one stage buffer, the kept columns a stage ahead, the
    // epilogue written out) at Tr 16, matrix-x128f1pb (128 tokens as 4 subgroups of 32, the stage's
    // bands 16 banks apart) at Tr 32 (one ragged block).
    // matrix-x256 (42.5 KiB) does not fit SwiftShader's 32 KiB of workgroup memory.
    for (const [tr, tc, sparsity, variant, name] of [
      [16, 16, 0.3, 'matrix', 'matrix-x64e1p'], // two K stages (the kept columns a stage ahead)
      [32, 32, 0.9, 'matrix-x128f1pb', 'matrix-x128f1pb'],
      [32, 32, 0.3, 'matrix-x128f1pb', 'matrix-x128f1pb'], // the same shader: more kept columns, K stages
    ] as const) {
      const hp = pruneMatrix(
        { name: 'w', out: nOut, in: nIn, weight: w },
        { pattern: 'hp', sparsity, split: 0.5, tr, tc, score: 'magnitude' },
      ).hp!;
      const quant = quantizeHP(hp, 8);
      const ref = intHPLinear(xq, hp, quant, bias);
      expect(await run({ kind: 'hp', hp, quant }, variant, new RegExp(`${name}-hp$`))).toEqual(ref);
      if (sparsity === 0.9) {
        // Automatic HP stays on dot4 at short tile-rows (the faster kernel there on the H200).
        const auto = createInt8Linear(gpu.device, gpu.caps, { kind: 'hp', hp, quant }, { tokens });
        expect(auto.variantFor(tokens)).toMatch(/^dot4-hp/);
        auto.destroy();
        // 'matrix' from 512 tokens on: 128 tokens a workgroup at 3 tile-rows (the pipeline above, cached).
        const many = createInt8Linear(
          gpu.device,
          gpu.caps,
          { kind: 'hp', hp, quant },
          { tokens: 2048, variant: 'matrix' },
        );
        expect(many.variantFor(2048)).toBe('matrix-x128f1pb-hp');
        many.destroy();
      }
    }
  }, 600_000);
});
