// The per-token row kernels: embeddings (gathers + LayerNorm) and residual + LayerNorm.
import rowNormWgsl from './row-norm.wgsl?raw';
import embeddingsWgsl from './embeddings.wgsl?raw';
import addLayerNormWgsl from './add-layernorm.wgsl?raw';
import { bindingLayout, compilePipeline, rowGrid, withConsts, type BindingKind, type KernelLayout } from '../kernel';

/** Threads per row: enough to cover H in a few values each, a power of two. */
function rowWorkgroup(hidden: number, maxThreads: number): number {
  let wg = 32;
  while (wg < 256 && wg * 2 <= maxThreads && wg * 4 <= hidden) wg *= 2;
  return wg;
}

export interface RowKernel {
  pipeline: GPUComputePipeline;
  layout: KernelLayout;
  /** Dispatches one workgroup per row for `rows` rows. */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, rows: number): void;
}

function rowKernel(
  device: GPUDevice,
  label: string,
  source: string,
  hidden: number,
  bindings: BindingKind[],
): RowKernel {
  const wg = rowWorkgroup(hidden, device.limits.maxComputeInvocationsPerWorkgroup);
  const code = withConsts({ H: hidden, WG: wg, PER: Math.ceil(hidden / wg) }, rowNormWgsl, source);
  const layout = bindingLayout(device, label, bindings);
  const pipeline = compilePipeline(device, layout, label, code);
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  return {
    pipeline,
    layout,
    encode(pass, bindGroup, rows) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...rowGrid(rows, maxDim));
    },
  };
}

/** Bindings: params {tokens, seq, eps}, ids, types, word, pos, tokType, gammaBeta, out. */
export function createEmbeddingsKernel(device: GPUDevice, hidden: number): RowKernel {
  return rowKernel(device, 'encoder.embeddings', embeddingsWgsl, hidden, [
    'uniform',
    'read',
    'read',
    'read',
    'read',
    'read',
    'read',
    'write',
  ]);
}

/** Bindings: params {tokens, -, eps}, a, x (in place), gammaBeta. */
export function createAddLayerNormKernel(device: GPUDevice, hidden: number): RowKernel {
  return rowKernel(device, 'encoder.add-layernorm', addLayerNormWgsl, hidden, ['uniform', 'read', 'write', 'read']);
}
