// The classification head (pooler-classifier.wgsl) and its weights, packed once.
import rowNormWgsl from './row-norm.wgsl?raw';
import headWgsl from './pooler-classifier.wgsl?raw';
import type { BertModel } from '../../core/model/bert-types';
import { bindingLayout, compilePipeline, concatF32, uploadBuffer, withConsts, type KernelLayout } from '../kernel';

export interface HeadKernel {
  pipeline: GPUComputePipeline;
  layout: KernelLayout;
  /** pooler (Wpᵀ then bp) and classifier (Wc then bc) weights, owned by the kernel. */
  weights: GPUBuffer[];
  /** Bindings: params {seq}, x, pooler, classifier, logits. */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number): void;
  destroy(): void;
}

export function createHeadKernel(device: GPUDevice, model: BertModel): HeadKernel {
  const { hidden, labels } = model.config;
  const { pooler, classifier } = model;
  if (classifier.in !== hidden || classifier.out !== labels)
    throw new RangeError(`classifier is ${classifier.out}x${classifier.in}, expected ${labels}x${hidden}`);
  if (pooler && (pooler.in !== hidden || pooler.out !== hidden))
    throw new RangeError(`pooler is ${pooler.out}x${pooler.in}, expected ${hidden}x${hidden}`);
  const wg = 128;
  const code = withConsts(
    { H: hidden, WG: wg, PER: Math.ceil(hidden / wg), LABELS: labels, HAS_POOLER: Boolean(pooler) },
    rowNormWgsl,
    headWgsl,
  );
  const layout = bindingLayout(device, 'encoder.head', ['uniform', 'read', 'read', 'read', 'write']);
  const pipeline = compilePipeline(device, layout, 'encoder.head', code);
  let poolerData: Float32Array = new Float32Array(1);
  if (pooler) {
    const wt = new Float32Array(hidden * hidden);
    for (let o = 0; o < hidden; o++)
      for (let i = 0; i < hidden; i++) wt[i * hidden + o] = pooler.weight[o * hidden + i];
    poolerData = concatF32(wt, pooler.bias);
  }
  const weights = [
    uploadBuffer(device, poolerData, 'encoder.pooler'),
    uploadBuffer(device, concatF32(classifier.weight, classifier.bias), 'encoder.classifier'),
  ];
  return {
    pipeline,
    layout,
    weights,
    encode(pass, bindGroup, batch) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(batch);
    },
    destroy() {
      for (const b of weights) b.destroy();
    },
  };
}
