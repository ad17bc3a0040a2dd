import { describe, expect, it } from 'vitest';
import {
  DENSE_TILES,
  ENGINE_SPLIT_FROM_TOKENS,
  ENGINE_SPLIT_PARTS,
  SUBGROUP_MAX_TOKENS,
  SUBGROUP_TILE,
  denseTilesFor,
  denseVariant,
  describeKernelVariants,
  forcedSplitParts,
  hpVariant,
  parseDenseTile,
  pickDenseTile,
  variantName,
  waveFill,
  type VariantDevice,
} from '../../../src/gpu/kernels/variant-rule';

const limits = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 32768,
} as GPUSupportedLimits;

describe('dense register tiles per adapter', () => {
  it('keeps software adapters to the 4x4-per-thread tiles', () => {
    const soft = denseTilesFor({ isFallbackAdapter: true });
    expect(soft.map((t) => t.name)).toEqual(['64x64', '32x64', '32x64/4x4/2d']);
    expect(soft.every((t) => t.wy * 4 * t.rm <= 64 && t.rm * t.rn === 1)).toBe(true);
    expect(denseTilesFor({ isFallbackAdapter: false })).toEqual(DENSE_TILES);
  });

  it('picks the 128x128 tile for a big product on a hardware GPU but never on a software one', () => {
    expect(pickDenseTile(limits, 4096, 4096).name).toBe('128x128/8x8/2d');
    expect(pickDenseTile(limits, 4096, 4096, undefined, denseTilesFor({ isFallbackAdapter: true })).name).not.toMatch(
      /^128/,
    );
    expect(() => pickDenseTile(limits, 64, 64, '128x128', denseTilesFor({ isFallbackAdapter: true }))).toThrow(
      /not used on this adapter/,
    );
  });
});

// The rule for one call, on a hardware GPU with 32-lane subgroups (the H200's), with 4-lane
// ones (SwiftShader's) and without the feature.
const h200: VariantDevice = { limits, caps: { isFallbackAdapter: false, subgroupMinSize: 32 }, subgroups: true };
const swiftShader: VariantDevice = { limits, caps: { isFallbackAdapter: true, subgroupMinSize: 4 }, subgroups: true };
const noSubgroups: VariantDevice = { ...h200, subgroups: false };

describe('tile specs and the wave rule', () => {
  it('parses BMxBN/TMxTN[/kBK][/2d] and refuses what does not divide', () => {
    expect(parseDenseTile('96x128/8x8/k24/2d')).toEqual({
      name: '96x128/8x8/k24/2d',
      wx: 16,
      wy: 12,
      rm: 2,
      rn: 2,
      bk: 24,
      lds2d: true,
    });
    expect(parseDenseTile('64x64/8x4')).toMatchObject({ wx: 16, wy: 8, rm: 2, rn: 1, bk: 16 });
    expect(parseDenseTile('64x64/8x4')?.lds2d).toBeUndefined();
    for (const bad of ['64x64/6x4', '60x64/8x8', '64x64/8x8/k6', '64x64/8x8/x'])
      expect(parseDenseTile(bad)).toBeUndefined();
    expect(() => pickDenseTile(limits, 64, 64, '64x64/6x4')).toThrow(/unknown dense tile/);
    expect(() => pickDenseTile(limits, 64, 64, '64x64/8x8/2d', denseTilesFor({ isFallbackAdapter: true }))).toThrow(
      /not used on this adapter/,
    );
  });

  it('fills the last wave of the reference GPU (132 x 512 threads)', () => {
    expect(waveFill(256, 256)).toBeCloseTo(256 / 264);
    expect(waveFill(320, 256)).toBeCloseTo(320 / 528);
    expect(waveFill(608, 128)).toBeCloseTo(608 / 1056);
  });
});

describe('the dense tile per shape', () => {
  // TinyBERT at B=32 L=128 (4096 tokens): 8x8 per thread where the product has >= 2M outputs:
  // the largest block that fills the H200's last wave 3/4 (312->936: 256 workgroups of 128x128),
  // else the largest with >= 512 workgroups (312->1200: 608 of 128x64); below (312 outputs:
  // 1.3M), the largest block with >= 192 workgroups (64x64 8x4: 320), else 32x64 4x4.
  it.each([
    [4096, 1200, '128x64/8x4/2d'],
    [4096, 936, '128x128/8x8/2d'],
    [4096, 312, '64x64/8x4/2d'],
    [2048, 1200, '64x64/8x8/2d'],
    [2048, 936, '64x64/8x4/2d'],
    [2048, 312, '32x64/4x4/2d'],
    [1024, 936, '64x64/8x4/2d'],
    [1024, 312, '32x64/4x4/2d'],
    [136, 1200, '32x64/4x4/2d'],
    [4096, 4096, '128x128/8x8/2d'],
  ])('%i tokens x %i outputs: %s', (tokens, out, name) => {
    expect(pickDenseTile(limits, tokens, out).name).toBe(name);
  });

  it('software adapters take the 4x4 tiles at every shape', () => {
    const soft = denseTilesFor({ isFallbackAdapter: true });
    expect(pickDenseTile(limits, 4096, 1200, undefined, soft).name).toBe('32x64/4x4/2d');
    expect(pickDenseTile(limits, 4096, 312, undefined, soft).name).toBe('32x64/4x4/2d');
  });
});

describe('the variant of one call', () => {
  it('dense: subgroup variant up to its token limit (higher when out <= in), tiles beyond', () => {
    const wide = { in: 312, out: 1200 };
    const narrow = { in: 1200, out: 312 };
    expect(variantName(denseVariant(h200, wide, SUBGROUP_MAX_TOKENS.dense))).toBe(SUBGROUP_TILE);
    expect(variantName(denseVariant(h200, wide, SUBGROUP_MAX_TOKENS.dense + 1))).not.toBe(SUBGROUP_TILE);
    expect(variantName(denseVariant(h200, narrow, SUBGROUP_MAX_TOKENS.denseNarrow))).toBe(SUBGROUP_TILE);
    expect(variantName(denseVariant(h200, narrow, SUBGROUP_MAX_TOKENS.denseNarrow + 1))).not.toBe(SUBGROUP_TILE);
    // Also on narrow subgroups (the dense variant won there too), never without the feature or
    // when in % 4 != 0 (it reads vec4 rows).
    expect(denseVariant(swiftShader, wide, 1).kind).toBe('subgroup');
    expect(denseVariant(noSubgroups, wide, 1).kind).toBe('tile');
    expect(denseVariant(h200, { in: 310, out: 1200 }, 1).kind).toBe('tile');
  });

  it('dense: a forced tile wins; a forced subgroup variant the device lacks is an error', () => {
    expect(variantName(denseVariant(h200, { in: 312, out: 312 }, 1, '64x64'))).toBe('64x64');
    expect(() => denseVariant(noSubgroups, { in: 312, out: 312 }, 1, SUBGROUP_TILE, 'ffn')).toThrow(
      /^ffn: the 'subgroup' variant needs the 'subgroups' device feature/,
    );
    expect(() => denseVariant(swiftShader, { in: 312, out: 312 }, 4096, '128x128')).toThrow(/not used on this adapter/);
  });

  it("dense split-K: 'engine' splits from its token count on, a count always, 'auto' by the workgroup rule", () => {
    const ffnOut = { in: 1200, out: 312 };
    const parts = (splitK: Parameters<typeof denseVariant>[5], tokens: number) => {
      const v = denseVariant(h200, ffnOut, tokens, undefined, 'ffn', splitK);
      return v.kind === 'tile' ? v.parts : 0;
    };
    expect(parts('engine', ENGINE_SPLIT_FROM_TOKENS)).toBe(ENGINE_SPLIT_PARTS);
    expect(parts('engine', ENGINE_SPLIT_FROM_TOKENS - 1)).toBe(1);
    expect(parts(undefined, ENGINE_SPLIT_FROM_TOKENS)).toBe(1);
    expect(parts(3, 1024)).toBe(3);
    // The engine's split keeps the unsplit tile (measured so), 'auto' may move to another.
    expect(variantName(denseVariant(h200, ffnOut, 4096, undefined, 'ffn', 'engine'))).toBe(
      `${variantName(denseVariant(h200, ffnOut, 4096))} k/2`,
    );
    expect([forcedSplitParts('auto', 4096), forcedSplitParts(undefined, 4096), forcedSplitParts(2, 1)]).toEqual([
      undefined,
      1,
      2,
    ]);
  });

  it('HP: subgroup variant only on wide subgroups, up to a limit that depends on the kept columns', () => {
    const many = { tr: 16, tileRows: 20, kept: 64 };
    const few = { tr: 16, tileRows: 20, kept: 16 };
    expect(hpVariant(h200, many, SUBGROUP_MAX_TOKENS.hp).kind).toBe('subgroup');
    expect(hpVariant(h200, many, SUBGROUP_MAX_TOKENS.hp + 1).kind).toBe('tile');
    expect(hpVariant(h200, few, SUBGROUP_MAX_TOKENS.hpFewKept).kind).toBe('subgroup');
    expect(hpVariant(h200, few, SUBGROUP_MAX_TOKENS.hpFewKept + 1).kind).toBe('tile');
    expect(hpVariant(swiftShader, many, 1).kind).toBe('tile');
    expect(hpVariant(noSubgroups, many, 1).kind).toBe('tile');
    // Forced, it needs only the feature (the GPU tests run it on SwiftShader's 4 lanes).
    expect(hpVariant(swiftShader, many, 1000, SUBGROUP_TILE).kind).toBe('subgroup');
    expect(() => hpVariant(noSubgroups, many, 1, SUBGROUP_TILE)).toThrow(/needs the 'subgroups' device feature/);
    expect(variantName(hpVariant(h200, many, 1, 'narrow'))).toBe('narrow');
  });
});

const base = { isFallbackAdapter: false, hasSubgroups: false, hasF16: false };

describe('describeKernelVariants', () => {
  it('a hardware GPU with 32-lane subgroups gets both few-token variants', () => {
    const d = describeKernelVariants({ ...base, hasSubgroups: true, subgroupMinSize: 32, subgroupMaxSize: 32 });
    expect(d[0]).toBe('f32 register tiles up to 128x128');
    expect(d[1]).toBe('subgroups (32 lanes): few-token dense and HP variants');
  });

  it('SwiftShader: small tiles, 4-lane subgroups: dense variant only', () => {
    const d = describeKernelVariants({
      ...base,
      isFallbackAdapter: true,
      hasSubgroups: true,
      subgroupMinSize: 4,
      subgroupMaxSize: 4,
    });
    expect(d[0]).toBe('f32 register tiles up to 64x64 (software adapter)');
    expect(d[1]).toMatch(/^subgroups \(4 lanes\): few-token dense variant \(HP's needs 16\+ lanes\)$/);
  });

  it('variable-width subgroups, none, and shader-f16', () => {
    expect(describeKernelVariants({ ...base, hasSubgroups: true, subgroupMinSize: 8, subgroupMaxSize: 32 })[1]).toMatch(
      /^subgroups \(8–32 lanes\): few-token dense variant/,
    );
    expect(describeKernelVariants(base)[1]).toBe('no subgroups: tiled kernels at every token count');
    expect(describeKernelVariants({ ...base, hasF16: true }).at(-1)).toBe(
      'shader-f16 present but unused (no f16-math variant)',
    );
  });
});
