// The classification head (pooler-classifier.wgsl) and its weights, packed once.
import rowNormWgsl from './row-norm.wgsl?raw';
import headWgsl from './pooler-classifier.wgsl?raw';
import type { BertModel } from '../../core/model/bert-types';
import { expandWgsl } from '../kernels/wgsl-template';
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
  const wg = 256;
  const h4 = Math.ceil(hidden / 4);
  const chunks = Math.max(1, Math.floor(wg / h4));
  const consts = { H: hidden, H4: h4, C: chunks, IC: Math.ceil(hidden / chunks), WG: wg, PER: Math.ceil(hidden / wg) };
  const code = withConsts(
    { ...consts, LABELS: labels, HAS_POOLER: Boolean(pooler) },
    rowNormWgsl,
    expandWgsl(headWgsl, {}), // its //#unroll blocks
  );
  const layout = bindingLayout(device, 'encoder.head', ['uniform', 'read', 'read', 'read', 'write']);
  const pipeline = compilePipeline(device, layout, 'encoder.head', code);
  let poolerData: Float32Array = new Float32Array(4);
  if (pooler) {
    // Wpᵀ with each input's row padded to 4 * h4 outputs, then bp padded alike.
    const row = 4 * h4;
    poolerData = new Float32Array((hidden + 1) * row);
    for (let o = 0; o < hidden; o++) {
      for (let i = 0; i < hidden; i++) poolerData[i * row + o] = pooler.weight[o * hidden + i];
      poolerData[hidden * row + o] = pooler.bias[o];
    }
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
