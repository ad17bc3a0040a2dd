// What the dense and HP linear runners share: caller buffer arguments, encoding into a pass or
// a command encoder, per-tokens uniforms and bind groups, and a per-device pipeline cache.
import epilogueWgsl from './epilogue.wgsl?raw';
import weightQuadWgsl from './weight-quad.wgsl?raw';
import { expandWgsl, type TemplateValues } from './wgsl-template';
import { checkBufferArg, checkDispatch } from '../limits';

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
  grid: { x: number; y: number };
}

/** Checks `d` against the device's limits, then records it into `target`. */
export function runDispatch(target: EncodeTarget, limits: GPUSupportedLimits, label: string, d: KernelDispatch, group: GPUBindGroup): void {
  checkDispatch(limits, label, d.workgroup, d.grid);
  const pass = isPass(target) ? target : target.beginComputePass({ label });
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(d.grid.x, d.grid.y);
  if (!isPass(target)) pass.end();
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Compiles `kernelWgsl` (with the shared epilogue, weight-quad.wgsl and any `extraWgsl` it
 *  calls) for `values` (f32 weights unless they say otherwise), once per device and key. */
export function cachedPipeline(device: GPUDevice, layout: KernelLayout, kernelWgsl: string, values: TemplateValues, label: string, extraWgsl = ''): GPUComputePipeline {
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  const all = { ...weightQuadValues(false), ...values };
  const key = label + JSON.stringify(all);
  let pipeline = perDevice.get(key);
  if (!pipeline) {
    const code = expandWgsl(hoistDirectives([kernelWgsl, extraWgsl, weightQuadWgsl, epilogueWgsl].join('\n')), all);
    const module = device.createShaderModule({ label, code });
    pipeline = device.createComputePipeline({ label, layout: layout.pipeline, compute: { module, entryPoint: 'main' } });
    perDevice.set(key, pipeline);
  }
  return pipeline;
}

/** Template values of weight-quad.wgsl: how the kernel reads its weight buffer. */
export function weightQuadValues(f16: boolean): { F16W: boolean; WEIGHT_QUAD: string } {
  return { F16W: f16, WEIGHT_QUAD: f16 ? 'vec2<u32>' : 'vec4<f32>' };
}

/** WGSL wants `enable` and `diagnostic` directives before any declaration: moves them first. */
function hoistDirectives(source: string): string {
  const lines = source.split('\n');
  const isDirective = (l: string) => /^(enable|requires|diagnostic)\b/.test(l.trim());
  return [...lines.filter(isDirective), ...lines.filter((l) => !isDirective(l))].join('\n');
}

export interface KernelLayout {
  pipeline: GPUPipelineLayout;
  group: GPUBindGroupLayout;
}

const layoutCache = new WeakMap<GPUDevice, Map<string, KernelLayout>>();

/** One explicit layout per kernel kind: uniform at binding 0, then storage bindings
 *  (read-only, the last read-write), so bind groups work with every tile config. */
export function kernelLayout(device: GPUDevice, kind: string, storageCount: number): KernelLayout {
  let perDevice = layoutCache.get(device);
  if (!perDevice) layoutCache.set(device, (perDevice = new Map()));
  let layout = perDevice.get(kind);
  if (!layout) {
    const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }];
    for (let i = 1; i <= storageCount; i++) {
      entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i === storageCount ? 'storage' : 'read-only-storage' } });
    }
    const group = device.createBindGroupLayout({ label: kind, entries });
    layout = { group, pipeline: device.createPipelineLayout({ label: kind, bindGroupLayouts: [group] }) };
    perDevice.set(kind, layout);
  }
  return layout;
}

export function uploadBuffer(device: GPUDevice, data: ArrayBufferView, label: string, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Uniform buffers ({tokens, a, b, c} as u32) per token count, and bind groups per
 *  (tokens, input, output), so one object can be encoded with several token counts into one
 *  command encoder (a queue.writeBuffer would only keep the last value). */
export class BindingCache {
  private uniforms = new Map<number, GPUBuffer>();
  private groups = new Map<string, GPUBindGroup>();
  private ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly extra: [number, number, number],
  ) {}

  uniform(tokens: number): GPUBuffer {
    let u = this.uniforms.get(tokens);
    if (!u) {
      u = uploadBuffer(this.device, Uint32Array.of(tokens, ...this.extra), `${this.label} tokens=${tokens}`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      this.uniforms.set(tokens, u);
    }
    return u;
  }

  private id(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) this.ids.set(b, (id = this.nextId++));
    return id;
  }

  /** Bind group for `tokens` with `buffers` at bindings 1, 2, … in order. */
  bindGroup(layout: GPUBindGroupLayout, tokens: number, buffers: GPUBufferBinding[]): GPUBindGroup {
    const key = tokens + ':' + buffers.map((b) => `${this.id(b.buffer)}@${b.offset ?? 0}+${b.size ?? ''}`).join(',');
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size > 256) this.groups.clear(); // callers that rotate many buffers
      group = this.device.createBindGroup({
        label: this.label,
        layout,
        entries: [{ binding: 0, resource: { buffer: this.uniform(tokens) } }, ...buffers.map((resource, i) => ({ binding: i + 1, resource }))],
      });
      this.groups.set(key, group);
    }
    return group;
  }

  destroy(): void {
    for (const u of this.uniforms.values()) u.destroy();
    this.uniforms.clear();
    this.groups.clear();
  }
}

export function checkTokens(tokens: number, maxTokens: number, label: string): void {
  if (!Number.isInteger(tokens) || tokens < 0 || tokens > maxTokens) {
    throw new RangeError(`${label}: tokens must be an integer in [0, ${maxTokens}] (the maxTokens it was created with), got ${tokens}`);
  }
}

export function checkIo(label: string, input: GPUBufferBinding, output: GPUBufferBinding, tokens: number, nIn: number, nOut: number): void {
  checkBufferArg(`${label} input`, input, tokens * nIn * 4);
  checkBufferArg(`${label} output`, output, tokens * nOut * 4);
}
