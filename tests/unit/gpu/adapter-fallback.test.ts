// Software adapters are the ones that say so: GPUAdapterInfo.isFallbackAdapter (what Chromium
// 156 and Dawn in Node report for SwiftShader), or the GPUAdapter attribute older browsers had.
// The adapter's name plays no part.
import { describe, expect, it } from 'vitest';
import { describeAdapter, isFallback } from '../../../src/gpu/adapter';

const adapter = (info: Partial<GPUAdapterInfo>, extra: object = {}) =>
  ({ info, features: new Set<string>(), limits: {}, ...extra }) as unknown as GPUAdapter;

describe('isFallback', () => {
  it('reads GPUAdapterInfo.isFallbackAdapter', () => {
    const swiftshader = adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(isFallback(swiftshader)).toBe(true);
    expect(describeAdapter(swiftshader).isFallbackAdapter).toBe(true);
  });

  it('falls back to the older GPUAdapter.isFallbackAdapter when the info has no flag', () => {
    expect(isFallback(adapter({ vendor: 'google' }, { isFallbackAdapter: true }))).toBe(true);
    expect(isFallback(adapter({ vendor: 'google' }, { isFallbackAdapter: false }))).toBe(false);
  });

  it('is false for an adapter that does not say it is a fallback, whatever its name', () => {
    const named = adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: false });
    expect(isFallback(named)).toBe(false);
    expect(describeAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper' })).isFallbackAdapter).toBe(false);
  });
});
