// What the dense and HP linear runners share beyond gpu/kernel.ts: their WGSL template (epilogue,
// weight-quad), their layout, per-tokens uniforms and bind groups, argument checks.
import epilogueWgsl from './epilogue.wgsl?raw';
import weightQuadWgsl from './weight-quad.wgsl?raw';
import { expandWgsl, type TemplateValues } from './wgsl-template';
import { checkBufferArg } from '../limits';
import {
  asBinding,
  bindingLayout,
  compilePipeline,
  recordDispatch,
  runDispatch,
  uploadBuffer,
  type BindingKind,
  type BufferArg,
  type EncodeTarget,
  type KernelDispatch,
  type KernelLayout,
} from '../kernel';
import type { GpuLinear } from './linear-types';

// The shared kernel abstraction (gpu/kernel.ts), as the linear runners import it.
export {
  asBinding,
  isPass,
  runDispatch,
  uploadBuffer,
  type BufferArg,
  type EncodeTarget,
  type KernelDispatch,
  type KernelLayout,
} from '../kernel';

/** Compiles `kernelWgsl` (with the shared epilogue, weight-quad.wgsl and any `extraWgsl` it
 *  calls) for `values` (f32 weights unless they say otherwise), once per device and key. */
export function cachedPipeline(
  device: GPUDevice,
  layout: KernelLayout,
  kernelWgsl: string,
  values: TemplateValues,
  label: string,
  extraWgsl = '',
): GPUComputePipeline {
  const all = { ...weightQuadValues(false), ...values };
  const code = expandWgsl(hoistDirectives([kernelWgsl, extraWgsl, weightQuadWgsl, epilogueWgsl].join('\n')), all);
  return compilePipeline(device, layout, label, code);
}

/** Template values of weight-quad.wgsl: how the kernel reads its weight buffer. */
export function weightQuadValues(f16: boolean): { F16W: boolean; WEIGHT_QUAD: string } {
  return { F16W: f16, WEIGHT_QUAD: f16 ? 'vec2<u32>' : 'vec4<f32>' };
}

/** WGSL wants `enable` and `diagnostic` directives before any declaration: moves them first. */
export function hoistDirectives(source: string): string {
  const lines = source.split('\n');
  const isDirective = (l: string) => /^(enable|requires|diagnostic)\b/.test(l.trim());
  return [...lines.filter(isDirective), ...lines.filter((l) => !isDirective(l))].join('\n');
}

/** One explicit layout per kernel kind: uniform at binding 0, then storage bindings
 *  (read-only, the last read-write), so bind groups work with every tile config. */
export function kernelLayout(device: GPUDevice, kind: string, storageCount: number): KernelLayout {
  const storage = Array.from({ length: storageCount }, (_, i): BindingKind =>
    i === storageCount - 1 ? 'write' : 'read',
  );
  return bindingLayout(device, kind, ['uniform', ...storage]);
}

/** Uniform buffers ({tokens, a, b, c} as u32) per token count, and bind groups per
 *  (tokens, input, output), so one object can be encoded with several token counts into one
 *  command encoder (a queue.writeBuffer would only keep the last value). */
export class BindingCache {
  private uniforms = new Map<number, GPUBuffer>();
  private groups = new Map<string, GPUBindGroup>();
  private ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;

  /** `extra`: the uniform's other three words, fixed or per token count. */
  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly extra: [number, number, number] | ((tokens: number) => [number, number, number]),
  ) {}

  uniform(tokens: number): GPUBuffer {
    let u = this.uniforms.get(tokens);
    if (!u) {
      const extra = typeof this.extra === 'function' ? this.extra(tokens) : this.extra;
      u = uploadBuffer(
        this.device,
        Uint32Array.of(tokens, ...extra),
        `${this.label} tokens=${tokens}`,
        GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      );
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
        entries: [
          { binding: 0, resource: { buffer: this.uniform(tokens) } },
          ...buffers.map((resource, i) => ({ binding: i + 1, resource })),
        ],
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
    throw new RangeError(
      `${label}: tokens must be an integer in [0, ${maxTokens}] (the maxTokens it was created with), got ${tokens}`,
    );
  }
}

export function checkIo(
  label: string,
  input: GPUBufferBinding,
  output: GPUBufferBinding,
  tokens: number,
  nIn: number,
  nOut: number,
  parts = 1,
): void {
  checkBufferArg(`${label} input`, input, tokens * nIn * 4);
  checkBufferArg(`${label} output`, output, parts * tokens * nOut * 4);
}

/** What a runner decides; linearObject turns it into the GpuLinear both runners return. */
export interface LinearParts {
  kind: GpuLinear['kind'];
  label: string;
  in: number;
  out: number;
  maxTokens: number;
  limits: GPUSupportedLimits;
  layout: KernelLayout;
  cache: BindingCache;
  /** The weight buffers the object owns (destroyed with it). */
  owned: GPUBuffer[];
  /** Floating-point operations per token (2 per stored weight). */
  flopsPerToken: number;
  tileFor(tokens: number): string;
  /** K-slices of the output for `tokens` (split-K); 1 when absent. */
  partsFor?(tokens: number): number;
  dispatchFor(tokens: number): KernelDispatch;
  /** The bindings in the kernel's order, around the input x and the output y. */
  bindings(x: GPUBufferBinding, y: GPUBufferBinding): GPUBufferBinding[];
}

export function linearObject(p: LinearParts): GpuLinear {
  const { label, maxTokens } = p;
  let destroyed = false;
  // The dispatch (variant, pipeline, grid) per token count, worked out once: dispatchFor expands
  // the kernel's WGSL template and keys the pipeline cache by the whole source, which on the
  // H200 made recording one TinyBERT forward cost milliseconds of CPU (BENCHMARKS.md, issue 19).
  const dispatches = new Map<number, KernelDispatch>();
  let last:
    { input: BufferArg; output: BufferArg; tokens: number; dispatch: KernelDispatch; group: GPUBindGroup } | undefined;
  const dispatchFor = (tokens: number) => {
    let d = dispatches.get(tokens);
    if (!d) dispatches.set(tokens, (d = p.dispatchFor(tokens)));
    return d;
  };
  return {
    kind: p.kind,
    in: p.in,
    out: p.out,
    maxTokens,
    weightBytes: p.owned.reduce((s, b) => s + b.size, 0),
    weights: p.owned,
    flops: (tokens = maxTokens) => tokens * p.flopsPerToken,
    tileFor: (tokens = maxTokens) => p.tileFor(tokens),
    partsFor: (tokens = maxTokens) => p.partsFor?.(tokens) ?? 1,
    encode(target: EncodeTarget, input: BufferArg, output: BufferArg, tokens = maxTokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      // A forward encodes each linear with the same buffers every time: the checks (each a call
      // into the GPU binding for a buffer size or a limit) and the bind-group key were 40% of
      // recording a linear in Node (CPU profile); the same arguments reuse the last call's work.
      const m = last;
      if (m && m.input === input && m.output === output && m.tokens === tokens) {
        recordDispatch(target, label, m.dispatch, m.group);
        return;
      }
      const x = asBinding(input);
      const y = asBinding(output);
      checkIo(label, x, y, tokens, p.in, p.out, p.partsFor?.(tokens) ?? 1);
      const group = p.cache.bindGroup(p.layout.group, tokens, p.bindings(x, y));
      const dispatch = dispatchFor(tokens);
      runDispatch(target, p.limits, label, dispatch, group);
      last = { input, output, tokens, dispatch, group };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      last = undefined;
      for (const b of p.owned) b.destroy();
      p.cache.destroy();
    },
  };
}
