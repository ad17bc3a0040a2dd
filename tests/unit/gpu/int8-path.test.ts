// When the int8 kernels reach the tensor cores (int8MatrixOn), and what the GPU panel says about
// it (describeInt8Path): on only with the i8 subgroup-matrix configuration and subgroups of one
// size; off with the reason and how to turn it on.
import { describe, expect, it } from 'vitest';
import type { GpuCapabilities } from '../../../src/gpu/adapter';
import {
  autoHpVariant,
  describeInt8Path,
  hpTensorTile,
  int8MatrixOn,
  splitAblation,
} from '../../../src/gpu/kernels/int8-linear';

const base: GpuCapabilities = {
  vendor: 'nvidia',
  architecture: '',
  device: 'nvidia-h200',
  description: '',
  label: 'NVIDIA',
  isFallbackAdapter: false,
  features: ['subgroups', 'timestamp-query'],
  limits: {},
  hasTimestampQuery: true,
  hasF16: false,
  hasSubgroups: true,
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
};
const matrix = 'chromium-experimental-subgroup-matrix';
// What Dawn reports on the H200 with allow_unsafe_apis.
const h200: GpuCapabilities = {
  ...base,
  features: [...base.features, matrix],
  subgroupMatrixConfigs: [
    { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 },
    { componentType: 'u8', resultComponentType: 'u32', M: 16, N: 16, K: 32 },
    { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 8, K: 32 },
  ],
};

describe('int8 tensor-core path', () => {
  it('is on with the i8 16x16x32 configuration and fixed-size subgroups, and the panel says so', () => {
    expect(int8MatrixOn(h200)).toBe(true);
    expect(describeInt8Path(h200)).toMatch(/^tensor-core path on: subgroup matrices i8 x i8 -> i32 16x16x32/);
  });

  it('is off without the feature, without an i8 configuration or with varying subgroup sizes', () => {
    const cases: [GpuCapabilities, RegExp][] = [
      [base, /off \(no subgroup matrices\)/],
      [{ ...h200, subgroupMatrixConfigs: h200.subgroupMatrixConfigs!.slice(1, 2) }, /without an i8 configuration/],
      [{ ...h200, subgroupMinSize: 8, subgroupMaxSize: 64 }, /no subgroups of one fixed size/],
      [{ ...h200, hasSubgroups: false, features: [matrix] }, /no subgroups of one fixed size/],
    ];
    for (const [caps, why] of cases) {
      expect(int8MatrixOn(caps)).toBe(false);
      const text = describeInt8Path(caps);
      expect(text).toMatch(why);
      expect(text).toMatch(/--enable-unsafe-webgpu/);
      expect(text).toMatch(/HP_LAB_UNSAFE_APIS=1/);
    }
  });
});

describe('ablated dense matrix tiles (measurement only)', () => {
  it('names a dense matrix tile and known ablations, nothing else', () => {
    expect(splitAblation('matrix-128sb~global')).toEqual(['matrix-128sb', ['global']]);
    expect(splitAblation('matrix-256sb~stash+barrier')).toEqual(['matrix-256sb', ['stash', 'barrier']]);
    for (const bad of [
      'matrix-128sb',
      'matrix-128sb~',
      'matrix-128sb~fast',
      'dot4-64~global',
      'matrix-x64~mma',
      'a~b~c',
    ])
      expect(splitAblation(bad)).toBeUndefined();
    // The register probe (exact results), on dense and HP tiles; HP takes no other ablation.
    expect(splitAblation('matrix-128sb1ke~r16+mma')).toEqual(['matrix-128sb1ke', ['r16', 'mma']]);
    expect(splitAblation('matrix-x128f1p~r32', true)).toEqual(['matrix-x128f1p', ['r32']]);
    for (const bad of ['matrix-x128f1p~mma', 'matrix-x128f1p~r', 'matrix-128sb~r8'])
      expect(splitAblation(bad, true)).toBeUndefined();
  });
});

describe('automatic int8 HP variant', () => {
  it('takes the tensor-core kernel only on long tile-rows, with Tr a multiple of 16 up to 64', () => {
    // 4096² at 90 % (32x32): 13 kept tiles of 32 columns a tile-row; the encoder's 312 -> 1200: 1 x 32.
    const long = { out: 4096, in: 4096, tr: 32, tc: 32, m: 13, k: 32 };
    const short = { out: 1200, in: 312, tr: 32, tc: 32, m: 1, k: 32 };
    expect([autoHpVariant(long), autoHpVariant(long, true)]).toEqual(['dot4x-v64', 'matrix-x64e1p']);
    expect([autoHpVariant(short), autoHpVariant(short, true)]).toEqual(['dot4x', 'dot4x']);
    expect(autoHpVariant({ ...long, tr: 8 }, true)).toBe('dot4x-v64');
    expect(autoHpVariant({ ...long, tr: 128 }, true)).toBe('dot4x-v64');
    expect(autoHpVariant({ ...long, out: 32, m: 1 }, true)).toBe('dot4u');
    // The tensor-core tile by tokens and tile-rows: from 512 tokens 256 tokens a workgroup where that
    // makes >= 256 workgroups (4096 -> 4096: 128 tile-rows), else 128 (1200 -> 312: 10 tile-rows).
    expect([256, 511, 512, 4096].map((t) => hpTensorTile(t, 128))).toEqual([
      'matrix-x64e1p',
      'matrix-x64e1p',
      'matrix-x256e1pb',
      'matrix-x256e1pb',
    ]);
    expect([hpTensorTile(4096, 10), hpTensorTile(4096, 16), hpTensorTile(1024, 63)]).toEqual([
      'matrix-x128f1pb',
      'matrix-x256e1pb',
      'matrix-x128f1pb',
    ]);
  });
});
