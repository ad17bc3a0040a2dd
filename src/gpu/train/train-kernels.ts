// Compiles the fine-tuning kernels (the .wgsl files beside this one) once per device and
// records calls to them. Every kernel reads the shared Params uniform (params.wgsl: eight u32
// then eight f32 slots) at binding 0 and its buffers at bindings 1..n, with an explicit layout
// ('r' read-only, 'w' read-write storage), so one bind group per call site is made up front
// and only the uniform changes when the batch shape does.
import paramsWgsl from './params.wgsl?raw';
import linearForwardWgsl from './hp-linear-forward.wgsl?raw';
import gradInputWgsl from './hp-linear-grad-input.wgsl?raw';
import gradWeightWgsl from './hp-linear-grad-weight.wgsl?raw';
import columnSumsWgsl from './column-sums.wgsl?raw';
import activationsWgsl from './activations.wgsl?raw';
import lnForwardWgsl from './layernorm-forward.wgsl?raw';
import lnBackwardWgsl from './layernorm-backward.wgsl?raw';
import attnForwardWgsl from './attention-forward.wgsl?raw';
import attnBackQueryWgsl from './attention-backward-query.wgsl?raw';
import attnBackKeyWgsl from './attention-backward-key.wgsl?raw';
import clsRowsWgsl from './cls-rows.wgsl?raw';
import lossWgsl from './loss.wgsl?raw';
import adamwWgsl from './adamw.wgsl?raw';
import hiddenMseWgsl from './hidden-mse.wgsl?raw';
import hpFormatWgsl from '../kernels/hp-format.wgsl?raw';
import epilogueWgsl from '../kernels/epilogue.wgsl?raw';
import rowNormWgsl from '../encoder/row-norm.wgsl?raw';
import { expandWgsl } from '../kernels/wgsl-template';
import { rowGrid, withConsts } from '../kernel';
import type { BufferArg } from '../kernels';

type Access = 'r' | 'w';

const R = (n: number): Access[] => Array<Access>(n).fill('r');

/** Source and bindings (after the uniform) of each kernel; H-dependent ones get consts. */
const KERNELS = {
  linearForward: { src: [hpFormatWgsl, linearForwardWgsl], access: [...R(6), 'w'] },
  linearGradInput: { src: [gradInputWgsl], access: [...R(6), 'w'] },
  linearGradWeight: { src: [hpFormatWgsl, gradWeightWgsl], access: [...R(5), 'w'] },
  columnSums: { src: [columnSumsWgsl], access: ['r', 'r', 'w'] },
  activations: {
    src: [expandWgsl(epilogueWgsl, { BIAS: false, GELU: false }), activationsWgsl],
    access: ['r', 'r', 'w'],
  },
  layerNormForward: { src: [rowNormWgsl, lnForwardWgsl], access: [...R(3), 'w', 'w', 'w'], rows: true },
  layerNormBackward: { src: [rowNormWgsl, lnBackwardWgsl], access: [...R(4), 'w'], rows: true },
  attentionForward: { src: [attnForwardWgsl], access: [...R(4), 'w', 'w'] },
  attentionBackwardQuery: { src: [attnBackQueryWgsl], access: [...R(4), 'w', 'w'] },
  attentionBackwardKey: { src: [attnBackKeyWgsl], access: [...R(4), 'w', 'w'] },
  clsRows: { src: [clsRowsWgsl], access: ['r', 'w'] },
  loss: { src: [lossWgsl], access: [...R(3), 'w', 'w'] },
  adamw: { src: [adamwWgsl], access: ['w', 'r', 'w', 'w'] },
  hiddenMse: { src: [hiddenMseWgsl], access: [...R(3), 'w'] },
} satisfies Record<string, { src: string[]; access: Access[]; rows?: boolean }>;

export type TrainKernelName = keyof typeof KERNELS;

/** One recorded dispatch: its bind group is fixed, its uniform and grid follow the shape. */
export interface KernelCall {
  readonly name: TrainKernelName;
  /** Writes the uniform (queue order: before the next submit). */
  setParams(u: number[], f?: number[]): void;
  grid: [number, number, number];
  encode(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

/** Eight u32 then eight f32, as params.wgsl declares them. */
export function packParams(u: number[], f: number[] = []): Uint32Array<ArrayBuffer> {
  if (u.length > 8 || f.length > 8) throw new RangeError('at most 8 integer and 8 float parameters');
  const words = new Uint32Array(16);
  words.set(u);
  new Float32Array(words.buffer).set(f, 8);
  return words;
}

interface Compiled {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class TrainKernels {
  private readonly compiled = new Map<TrainKernelName, Compiled>();
  /** Threads per row of the LayerNorm kernels (a power of two). */
  readonly rowThreads: number;

  constructor(
    private readonly device: GPUDevice,
    readonly hidden: number,
  ) {
    let wg = 32;
    while (wg < 256 && wg * 2 <= device.limits.maxComputeInvocationsPerWorkgroup && wg * 4 <= hidden) wg *= 2;
    this.rowThreads = wg;
  }

  private kernel(name: TrainKernelName): Compiled {
    let c = this.compiled.get(name);
    if (c) return c;
    const def: { src: string[]; access: Access[]; rows?: boolean } = KERNELS[name];
    const sources = [paramsWgsl, ...def.src];
    const code = def.rows
      ? withConsts({ H: this.hidden, WG: this.rowThreads, PER: Math.ceil(this.hidden / this.rowThreads) }, ...sources)
      : sources.join('\n');
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
    ];
    def.access.forEach((a, i) =>
      entries.push({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: a === 'w' ? 'storage' : 'read-only-storage' },
      }),
    );
    const layout = this.device.createBindGroupLayout({ label: `train.${name}`, entries });
    const module = this.device.createShaderModule({ label: `train.${name}`, code });
    const pipeline = this.device.createComputePipeline({
      label: `train.${name}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    this.compiled.set(name, (c = { pipeline, layout }));
    return c;
  }

  /** A call site of kernel `name` over `buffers` (bindings 1..n, in the kernel's order). */
  call(name: TrainKernelName, buffers: BufferArg[]): KernelCall {
    const { pipeline, layout } = this.kernel(name);
    const expected = KERNELS[name].access.length;
    if (buffers.length !== expected)
      throw new RangeError(`train.${name} binds ${expected} buffers, got ${buffers.length}`);
    const device = this.device;
    const uniform = device.createBuffer({
      label: `train.${name}.params`,
      size: 64,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const group = device.createBindGroup({
      label: `train.${name}`,
      layout,
      entries: [uniform, ...buffers].map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
    });
    return {
      name,
      grid: [1, 1, 1],
      setParams(u, f) {
        device.queue.writeBuffer(uniform, 0, packParams(u, f));
      },
      encode(pass) {
        if (this.grid.some((n) => n === 0)) return;
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(...this.grid);
      },
      destroy() {
        uniform.destroy();
      },
    };
  }

  /** Grid for `n` invocations in 1-D workgroups of `size` (spilling into y). */
  flatGrid(n: number, size = 64): [number, number, number] {
    return [...rowGrid(Math.ceil(n / size), this.device.limits.maxComputeWorkgroupsPerDimension), 1];
  }

  /** Grid of one workgroup per row. */
  rowsGrid(rows: number): [number, number, number] {
    return [...rowGrid(rows, this.device.limits.maxComputeWorkgroupsPerDimension), 1];
  }
}
