// How a forward's dispatches are split into command buffers (forward-submit.ts).
import { describe, expect, it } from 'vitest';
import { splitSteps } from '../../../src/gpu/encoder/forward-submit';
import type { Step } from '../../../src/gpu/encoder/op-profile';

const steps = (n: number): Step[] => Array.from({ length: n }, () => ({ kind: 'qkv', encode: () => undefined }));
const sizes = (parts: Step[][]) => parts.map((p) => p.length);

describe('splitSteps', () => {
  it('growing chunks, then the rest; every step once, in order', () => {
    const all = steps(30);
    const parts = splitSteps(all, [3, 5, 8]);
    expect(sizes(parts)).toEqual([3, 5, 8, 14]);
    expect(parts.flat()).toEqual(all);
  });
  it('a short forward: no empty command buffer', () => {
    expect(sizes(splitSteps(steps(5), [3, 5, 8]))).toEqual([3, 2]);
    expect(sizes(splitSteps(steps(3), [3, 5]))).toEqual([3]);
    expect(sizes(splitSteps(steps(1), [3]))).toEqual([1]);
  });
  it('[] keeps the forward in one command buffer; bad sizes are refused', () => {
    expect(sizes(splitSteps(steps(30), []))).toEqual([30]);
    expect(() => splitSteps(steps(30), [0])).toThrow(/positive integers/);
    expect(() => splitSteps(steps(30), [1.5])).toThrow(/positive integers/);
  });
});
