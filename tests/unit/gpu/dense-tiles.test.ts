import { describe, expect, it } from 'vitest';
import { DENSE_TILES, denseTilesFor, pickDenseTile } from '../../../src/gpu/kernels/dense-linear';

const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupStorageSize: 32768 } as GPUSupportedLimits;

describe('dense register tiles per adapter', () => {
  it('keeps software adapters to tiles of at most 64 rows', () => {
    const soft = denseTilesFor({ isFallbackAdapter: true });
    expect(soft.length).toBeGreaterThan(0);
    expect(soft.every((t) => t.wy * 4 * t.rm <= 64)).toBe(true);
    expect(denseTilesFor({ isFallbackAdapter: false })).toEqual(DENSE_TILES);
  });

  it('picks the 128x128 tile for a big product on a hardware GPU but never on a software one', () => {
    expect(pickDenseTile(limits, 4096, 4096).name).toBe('128x128');
    expect(pickDenseTile(limits, 4096, 4096, undefined, denseTilesFor({ isFallbackAdapter: true })).name).not.toMatch(/^128/);
    expect(() => pickDenseTile(limits, 64, 64, '128x128', denseTilesFor({ isFallbackAdapter: true }))).toThrow(/not used on this adapter/);
  });
});
