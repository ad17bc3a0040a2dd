// What every compute kernel of the project shares, the linear kernels (kernels/), the encoder's
// ops (encoder/) and whatever comes next: explicit bind-group layouts, one pipeline cache per
// device, one upload and one read-back helper, WGSL compile-time constants, and recording a dispatch into the
// caller's pass or command encoder after checking it against the device's limits.
import { checkDispatch } from './limits';

/** A whole buffer, or a range of one (offset must respect minStorageBufferOffsetAlignment). */
export type BufferArg = GPUBuffer | GPUBufferBinding;
/** Record into an open compute pass, or into a command encoder (one pass is begun and ended). */
export type EncodeTarget = GPUComputePassEncoder | GPUCommandEncoder;

export function asBinding(b: BufferArg): GPUBufferBinding {
  return 'buffer' in b ? b : { buffer: b };
}

export function isPass(t: EncodeTarget): t is GPUComputePassEncoder {
  return typeof (t as GPUComputePassEncoder).dispatchWorkgroups === 'function';
}

/** A pipeline with its workgroup shape and grid, as a runner chose it for one call. */
export interface KernelDispatch {
  pipeline: GPUComputePipeline;
  workgroup: { x: number; y: number; storageBytes: number };
  grid: { x: number; y: number; z?: number };
}

/** Checks `d` against the device's limits, then records it into `target`. */
export function runDispatch(
  target: EncodeTarget,
  limits: GPUSupportedLimits,
  label: string,
  d: KernelDispatch,
  group: GPUBindGroup,
): void {
  checkDispatch(limits, label, d.workgroup, d.grid);
  recordDispatch(target, label, d, group);
}

/** Records `d` into `target` without checking it (a dispatch runDispatch has checked before). */
export function recordDispatch(target: EncodeTarget, label: string, d: KernelDispatch, group: GPUBindGroup): void {
  const pass = isPass(target) ? target : target.beginComputePass({ label });
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(d.grid.x, d.grid.y, d.grid.z ?? 1);
  if (!isPass(target)) pass.end();
}

/** How a kernel declares a binding: `var<uniform>`, `var<storage, read>`, `var<storage, read_write>`. */
export type BindingKind = 'uniform' | 'read' | 'write';

export interface KernelLayout {
  pipeline: GPUPipelineLayout;
  group: GPUBindGroupLayout;
}

const layoutCache = new WeakMap<GPUDevice, Map<string, KernelLayout>>();

/** The explicit layout of group 0 with `bindings` at 0, 1, … (no 'auto' layouts: bind groups
 *  then fit every pipeline compiled for the same kind, whatever its tile config). */
export function bindingLayout(device: GPUDevice, kind: string, bindings: readonly BindingKind[]): KernelLayout {
  let perDevice = layoutCache.get(device);
  if (!perDevice) layoutCache.set(device, (perDevice = new Map()));
  const key = `${kind}:${bindings.join(',')}`;
  let layout = perDevice.get(key);
  if (!layout) {
    const type = { uniform: 'uniform', read: 'read-only-storage', write: 'storage' } as const;
    const entries = bindings.map((b, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: type[b] },
    }));
    const group = device.createBindGroupLayout({ label: kind, entries });
    layout = { group, pipeline: device.createPipelineLayout({ label: kind, bindGroupLayouts: [group] }) };
    perDevice.set(key, layout);
  }
  return layout;
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Compiles `code` (entry point `main`) with `layout`, once per device, label and code. */
export function compilePipeline(
  device: GPUDevice,
  layout: KernelLayout,
  label: string,
  code: string,
): GPUComputePipeline {
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  const key = `${label}\n${code}`;
  let pipeline = perDevice.get(key);
  if (!pipeline) {
    const module = device.createShaderModule({ label, code });
    pipeline = device.createComputePipeline({
      label,
      layout: layout.pipeline,
      compute: { module, entryPoint: 'main' },
    });
    perDevice.set(key, pipeline);
  }
  return pipeline;
}

/** A bind group of `layout` with `buffers` at bindings 0, 1, … in order. */
export function bindBuffers(
  device: GPUDevice,
  layout: KernelLayout,
  label: string,
  buffers: BufferArg[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: layout.group,
    entries: buffers.map((b, binding) => ({ binding, resource: asBinding(b) })),
  });
}

/** A buffer holding `data`, padded to a multiple of 16 bytes (at least 16: WebGPU rejects empty
 *  bindings, and vec4 arrays need whole vectors). The one upload helper. */
export function uploadBuffer(
  device: GPUDevice,
  data: ArrayBufferView,
  label: string,
  usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** The uniform buffer of a kernel's parameters for `tokens` tokens, made once per token count
 *  (kept in `cache`; the caller destroys them), so that one runner can be encoded with several
 *  token counts into one command encoder. */
export function tokenUniform(
  device: GPUDevice,
  cache: Map<number, GPUBuffer>,
  tokens: number,
  values: () => Uint32Array,
  label: string,
): GPUBuffer {
  let u = cache.get(tokens);
  if (!u) {
    u = uploadBuffer(device, values(), `${label} tokens=${tokens}`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    cache.set(tokens, u);
  }
  return u;
}

/** The first `bytes` of `buf` (which needs COPY_SRC) as f32, through a mapped copy: the one
 *  read-back helper. `guard` races the map against the loss of the device (gpu-lease.ts). */
export async function readBuffer(
  device: GPUDevice,
  buf: GPUBuffer,
  bytes: number,
  guard: <T>(p: Promise<T>) => Promise<T> = (p) => p,
): Promise<Float32Array> {
  const read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buf, 0, read, 0, bytes);
    device.queue.submit([enc.finish()]);
    await guard(read.mapAsync(GPUMapMode.READ));
    return new Float32Array(read.getMappedRange().slice(0));
  } finally {
    read.destroy();
  }
}

/** WGSL with compile-time sizes (hidden width, head size, tile sizes) prepended as `const`
 *  declarations, so per-thread arrays can be sized by them (override constants cannot size
 *  function-scope arrays). The kernels/ .wgsl files use wgsl-template.ts's {{NAME}} instead. */
export function withConsts(consts: Record<string, number | boolean>, ...sources: string[]): string {
  const lines = Object.entries(consts).map(([name, value]) => {
    if (typeof value === 'boolean') return `const ${name} = ${value};`;
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`WGSL const ${name} must be a non-negative integer, got ${value}`);
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

export function concatF32(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One pipeline over whole buffers (bindings 0, 1, …) as a pass recorder, submitted once: the
 *  bench kernels' run-then-time pattern (the recorder goes on to timing.ts's timeCompute). */
export function submitSingleDispatch(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  layout: KernelLayout,
  buffers: readonly GPUBuffer[],
  workgroups: number,
): (pass: GPUComputePassEncoder) => void {
  const group = device.createBindGroup({
    layout: layout.group,
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const record = (pass: GPUComputePassEncoder) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(workgroups);
  };
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  record(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  return record;
}
