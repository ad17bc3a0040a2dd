import { describe, expect, it } from 'vitest';
import { describeKernelVariants } from '../../../src/gpu/kernels/variants';

const base = { isFallbackAdapter: false, hasSubgroups: false, hasF16: false };

describe('describeKernelVariants', () => {
  it('a hardware GPU with 32-lane subgroups gets both few-token variants', () => {
    const d = describeKernelVariants({ ...base, hasSubgroups: true, subgroupMinSize: 32, subgroupMaxSize: 32 });
    expect(d[0]).toBe('f32 register tiles up to 128x128');
    expect(d[1]).toBe('subgroups (32 lanes): few-token dense and HP variants');
  });

  it("SwiftShader: small tiles, 4-lane subgroups: dense variant only", () => {
    const d = describeKernelVariants({ ...base, isFallbackAdapter: true, hasSubgroups: true, subgroupMinSize: 4, subgroupMaxSize: 4 });
    expect(d[0]).toBe('f32 register tiles up to 64x64 (software adapter)');
    expect(d[1]).toMatch(/^subgroups \(4 lanes\): few-token dense variant \(HP's needs 16\+ lanes\)$/);
  });

  it('variable-width subgroups, none, and shader-f16', () => {
    expect(describeKernelVariants({ ...base, hasSubgroups: true, subgroupMinSize: 8, subgroupMaxSize: 32 })[1]).toMatch(/^subgroups \(8–32 lanes\): few-token dense variant/);
    expect(describeKernelVariants(base)[1]).toBe('no subgroups: tiled kernels at every token count');
    expect(describeKernelVariants({ ...base, hasF16: true }).at(-1)).toBe('shader-f16 present but unused (no f16-math variant)');
  });
});
