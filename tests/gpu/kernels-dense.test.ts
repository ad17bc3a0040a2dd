// Dense linear kernel on real WebGPU (Dawn + SwiftShader) against a float64 CPU reference.
import { describe, expect, test, beforeAll } from 'vitest';
import fc from 'fast-check';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createDenseLinear, GpuLimitError } from '../../src/gpu/kernels';
import { denseTilesFor } from '../../src/gpu/kernels/variant-rule';
import { compareRows, denseReference, sampleRows } from '../../src/gpu/kernels/cpu-reference';
import { randomArray, rng, runLinear } from './kernels-helpers';
import { denseCase } from '../../src/lab/kernel-verify';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});

async function check(
  tokens: number,
  nIn: number,
  nOut: number,
  opts: { gelu?: boolean; bias?: boolean; tile?: string; seed?: number; viaPass?: boolean } = {},
) {
  const rand = rng(opts.seed ?? tokens * 7919 + nIn * 31 + nOut);
  const x = randomArray(tokens * nIn, rand);
  const w = randomArray(nOut * nIn, rand, 0.5);
  const bias = opts.bias === false ? undefined : randomArray(nOut, rand);
  const { device, caps } = gpu;
  device.pushErrorScope('validation');
  const lin = createDenseLinear(device, caps, {
    tokens,
    in: nIn,
    out: nOut,
    weight: w,
    bias,
    gelu: opts.gelu,
    tile: opts.tile,
  });
  const y = await runLinear(device, lin, x, tokens, opts.viaPass);
  const err = await device.popErrorScope();
  lin.destroy();
  expect(err?.message).toBeUndefined();
  const rows = sampleRows(tokens, 64);
  const cmp = compareRows(y, denseReference(x, w, bias, nIn, nOut, rows, opts.gelu), rows, nOut);
  expect(cmp, JSON.stringify(cmp.first)).toMatchObject({ ok: true });
}

describe('dense linear', () => {
  test('every tile config, ragged shape, scalar (in, out % 4 != 0) and vec4 paths', async () => {
    // Software adapters compile only tiles up to 64x64 (denseTilesFor); the 128-wide tiles are
    // verified on a real GPU by `hp-lab bench verify` (BENCHMARKS.md, H200).
    for (const t of denseTilesFor(gpu.caps)) {
      await check(37, 45, 70, { tile: t.name }); // scalar loads and stores
      await check(33, 52, 68, { tile: t.name, gelu: true }); // vec4 loads and stores
    }
  });

  test('tile specs: 2-D workgroup tiles, a K-step of 8, an unswizzled width (80), ragged shapes', async () => {
    // K-steps of 24 and 32 took SwiftShader minutes to compile: verified on the H200 (bench matmul).
    for (const tile of ['32x64/4x4/2d', '32x80/4x4/k8/2d']) {
      await check(37, 45, 70, { tile }); // scalar loads and stores
      await check(33, 52, 68, { tile, gelu: true }); // vec4 loads and stores
    }
    await expect(check(8, 8, 8, { tile: '64x64/6x4' })).rejects.toThrow(/unknown dense tile/);
  });

  test('TinyBERT shapes (136 tokens, the tiled kernel): 312x312, 312->1200 with GELU, 1200->312', async () => {
    await check(136, 312, 312);
    await check(136, 312, 1200, { gelu: true });
    await check(136, 1200, 312);
  });

  test('split-K: vec4 and scalar loads, K-slices that add up to Y (bias in the first)', async () => {
    // Vec4 loads (slices of 80, 80, 40 inputs) and scalar loads with a K that is not a multiple of
    // the K-step, on one tile: SwiftShader compiles each for tens of seconds; every tile with
    // slices runs in `hp-lab bench verify` on a real GPU (BENCHMARKS.md, issue 19 fifth pass).
    for (const [tile, tokens, nIn, nOut, splitK] of [
      ['32x64', 70, 200, 36, 3],
      ['32x64', 37, 203, 70, 2],
    ] as const) {
      const r = await denseCase(gpu, tokens, nIn, nOut, { tile, splitK });
      expect(r, JSON.stringify(r.first)).toMatchObject({ ok: true });
      expect(r.name).toContain(`k/${splitK}`);
    }
    const lin = createDenseLinear(gpu.device, gpu.caps, {
      tokens: 64,
      in: 40,
      out: 8,
      weight: new Float32Array(320),
      tile: '32x64',
      splitK: 4,
    });
    // 40 inputs in slices of at least one K-step (16): three slices, not four.
    expect(lin.partsFor?.(64)).toBe(3);
    lin.destroy();
    expect(() =>
      createDenseLinear(gpu.device, gpu.caps, {
        tokens: 4,
        in: 8,
        out: 4,
        weight: new Float32Array(32),
        gelu: true,
        splitK: 2,
      }),
    ).toThrow(/GELU/);
  });

  test('no bias, one token, in = 1, encoded into an open pass', async () => {
    await check(1, 8, 5, { bias: false, viaPass: true });
    await check(3, 1, 9);
  });

  test('random shapes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        fc.integer(),
        async (tokens, nIn, nOut, gelu, seed) => {
          await check(tokens, nIn, nOut, { gelu, seed });
        },
      ),
      { numRuns: 6 },
    );
  });

  test('tokens is a per-encode argument: two token counts in one command encoder', async () => {
    const { device, caps } = gpu;
    const rand = rng(5);
    const nIn = 24,
      nOut = 20,
      maxTokens = 10;
    const w = randomArray(nIn * nOut, rand);
    const x = randomArray(maxTokens * nIn, rand);
    const lin = createDenseLinear(device, caps, { tokens: maxTokens, in: nIn, out: nOut, weight: w });
    const xBuf = device.createBuffer({ size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(xBuf, 0, x as Float32Array<ArrayBuffer>);
    const mk = () =>
      device.createBuffer({ size: maxTokens * nOut * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const y3 = mk(),
      y10 = mk();
    const r3 = device.createBuffer({ size: y3.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const r10 = device.createBuffer({ size: y3.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    lin.encode(enc, xBuf, y3, 3);
    lin.encode(enc, xBuf, y10, 10);
    enc.copyBufferToBuffer(y3, 0, r3, 0, y3.size);
    enc.copyBufferToBuffer(y10, 0, r10, 0, y3.size);
    device.queue.submit([enc.finish()]);
    await Promise.all([r3.mapAsync(GPUMapMode.READ), r10.mapAsync(GPUMapMode.READ)]);
    const a = new Float32Array(r3.getMappedRange().slice(0));
    const b = new Float32Array(r10.getMappedRange().slice(0));
    const all = Array.from({ length: 10 }, (_, i) => i);
    const ref = denseReference(x, w, undefined, nIn, nOut, all);
    expect(compareRows(b, ref, all, nOut).ok).toBe(true);
    // Rows 3.. of the 3-token run were never written (zero-initialised buffer).
    expect(compareRows(a, denseReference(x, w, undefined, nIn, nOut, [0, 1, 2]), [0, 1, 2], nOut).ok).toBe(true);
    expect(Array.from(a.subarray(3 * nOut)).every((v) => v === 0)).toBe(true);
    lin.destroy();
  });

  test('bad input gets a clear error before dispatch', async () => {
    const { device, caps } = gpu;
    expect(() => createDenseLinear(device, caps, { tokens: 4, in: 3, out: 2, weight: new Float32Array(5) })).toThrow(
      /weight has 5 values/,
    );
    const lin = createDenseLinear(device, caps, { tokens: 4, in: 3, out: 2, weight: new Float32Array(6) });
    const small = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    const enc = device.createCommandEncoder();
    expect(() => lin.encode(enc, small, small, 4)).toThrow(GpuLimitError);
    expect(() => lin.encode(enc, small, small, 5)).toThrow(/tokens must be an integer in \[0, 4\]/);
    // A call with the same arguments as the last reuses its checked dispatch; other buffers are checked.
    const ok = device.createBuffer({ size: 4 * 3 * 4, usage: GPUBufferUsage.STORAGE });
    lin.encode(enc, ok, ok, 4);
    lin.encode(enc, ok, ok, 4);
    expect(() => lin.encode(enc, ok, small, 4)).toThrow(/output binding holds 16 B, the dispatch needs 32 B/);
    const huge = device.limits.maxStorageBufferBindingSize / 4 + 1;
    expect(() => createDenseLinear(device, caps, { tokens: huge, in: 1, out: 1, weight: new Float32Array(1) })).toThrow(
      /maxStorageBufferBindingSize/,
    );
    lin.destroy();
  });
});
