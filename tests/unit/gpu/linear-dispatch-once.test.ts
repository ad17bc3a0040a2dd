// A linear works out its dispatch (variant, pipeline, grid) once per token count: the runners'
// dispatchFor expands a WGSL template, which cost milliseconds of CPU per linear per forward
// when it ran on every encode (BENCHMARKS.md, Encoder engine, issue 19 second pass).
import { describe, expect, it, vi } from 'vitest';
import { BindingCache, linearObject, type KernelDispatch } from '../../../src/gpu/kernels/linear-common';

const limits = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 32768,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBufferBindingSize: 1 << 30,
} as GPUSupportedLimits;

vi.stubGlobal('GPUBufferUsage', { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 });
const buffer = (size: number) => ({ size, usage: 128 }) as GPUBuffer;

function fakePass() {
  const calls: string[] = [];
  const pass = {
    setPipeline: (p: GPUComputePipeline) => calls.push(`pipeline ${p.label}`),
    setBindGroup: () => calls.push('group'),
    dispatchWorkgroups: (x: number, y: number) => calls.push(`dispatch ${x}x${y}`),
  } as unknown as GPUComputePassEncoder;
  return { pass, calls };
}

describe('linearObject', () => {
  it('asks the runner for the dispatch once per token count, and dispatches what it said', () => {
    const device = {
      createBindGroup: () => ({}) as GPUBindGroup,
      createBuffer: (d: GPUBufferDescriptor) =>
        ({ ...d, getMappedRange: () => new ArrayBuffer(d.size), unmap: () => undefined }) as unknown as GPUBuffer,
    } as unknown as GPUDevice;
    const dispatchFor = vi.fn((tokens: number): KernelDispatch => ({
      pipeline: { label: `for ${tokens}` } as GPUComputePipeline,
      workgroup: { x: 16, y: 16, storageBytes: 0 },
      grid: { x: 3, y: Math.ceil(tokens / 64) },
    }));
    const lin = linearObject({
      kind: 'dense',
      label: 'test',
      in: 4,
      out: 8,
      maxTokens: 256,
      limits,
      layout: { group: {} as GPUBindGroupLayout, pipeline: {} as GPUPipelineLayout },
      cache: new BindingCache(device, 'test', [4, 8, 0]),
      owned: [],
      flopsPerToken: 64,
      tileFor: () => 'x',
      dispatchFor,
      bindings: (x, y) => [x, y],
    });
    const { pass, calls } = fakePass();
    const x = buffer(256 * 4 * 4);
    const y = buffer(256 * 8 * 4);
    for (let i = 0; i < 5; i++) lin.encode(pass, x, y, 256);
    lin.encode(pass, x, y, 64);
    lin.encode(pass, x, y, 64);
    expect(dispatchFor.mock.calls.map((c) => c[0])).toEqual([256, 64]);
    expect(calls.filter((c) => c.startsWith('pipeline'))).toEqual([
      ...Array(5).fill('pipeline for 256'),
      'pipeline for 64',
      'pipeline for 64',
    ]);
    expect(calls.at(-1)).toBe('dispatch 3x1');
  });
});
