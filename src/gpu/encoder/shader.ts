// WGSL assembly for the encoder ops: compile-time sizes (hidden width, head size, tile sizes)
// are prepended as `const` declarations, so per-thread arrays can be sized by them (WGSL
// override constants cannot size function-scope arrays).
export function withConsts(consts: Record<string, number | boolean>, ...sources: string[]): string {
  const lines = Object.entries(consts).map(([name, value]) => {
    if (typeof value === 'boolean') return `const ${name} = ${value};`;
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`WGSL const ${name} must be a non-negative integer, got ${value}`);
    return `const ${name}: u32 = ${value}u;`;
  });
  return [...lines, ...sources].join('\n');
}

/** Workgroups for `rows` one-workgroup-per-row dispatches, spilling into y past the per-dimension limit. */
export function rowGrid(rows: number, maxPerDim: number): [number, number] {
  if (rows <= maxPerDim) return [Math.max(1, rows), 1];
  const y = Math.ceil(rows / maxPerDim);
  return [Math.ceil(rows / y), y];
}

export function computePipeline(device: GPUDevice, label: string, code: string, layout: GPUPipelineLayout | 'auto' = 'auto'): GPUComputePipeline {
  return device.createComputePipeline({
    label,
    layout,
    compute: { module: device.createShaderModule({ label, code }), entryPoint: 'main' },
  });
}

/** A storage buffer holding `data` (at least 4 bytes: WebGPU rejects empty bindings). */
export function uploadStorage(device: GPUDevice, label: string, data: Float32Array | Uint32Array, extraUsage = 0): GPUBuffer {
  const size = Math.max(4, data.byteLength);
  const buffer = device.createBuffer({ label, size: Math.ceil(size / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extraUsage, mappedAtCreation: true });
  const Ctor = data instanceof Float32Array ? Float32Array : Uint32Array;
  new Ctor(buffer.getMappedRange()).set(data);
  buffer.unmap();
  return buffer;
}

export function concatF32(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
