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
  /** Workgroups a sequence, each writing its share of the logits: the logits buffer holds
   *  batch x shares x labels floats, added up by sumHeadShares after the readback. */
  shares: number;
  /** Bindings: params {seq}, x, pooler, classifier, logits (shares). */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number): void;
  /** The same on h = LayerNorm(a + x) of each sequence's row, a being `parts` blocks of split-K
   *  partial sums (the [CLS] tail's last residual + LayerNorm taken in: a dispatch fewer). Bindings:
   *  params {seq, rows (a's block height), eps}, x (the residual), pooler, classifier, logits, a,
   *  gammaBeta. A pipeline per `parts`, compiled on first use. */
  withLayerNorm: {
    layout: KernelLayout;
    encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number, parts: number): void;
  };
  destroy(): void;
}

/** Vec4s of pooled outputs a head workgroup computes (pooler-classifier.wgsl SV). */
const SLICE_VEC4S = 6;

/** Logits of `batch` sequences from the head's shares (batch x shares x labels), added in order. */
export function sumHeadShares(raw: Float32Array, batch: number, shares: number, labels: number): Float32Array {
  const logits = new Float32Array(batch * labels);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < labels; c++) {
      let total = 0;
      for (let s = 0; s < shares; s++) total += raw[(b * shares + s) * labels + c];
      logits[b * labels + c] = total;
    }
  return logits;
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
  // 6 vec4s (24 outputs) a slice: 13 slices at H = 312, each reading 30 KB of Wpᵀ in 42 chunks.
  const sliceVec4s = Math.min(h4, SLICE_VEC4S);
  const shares = Math.ceil(h4 / sliceVec4s);
  const chunks = Math.max(1, Math.floor(wg / sliceVec4s));
  const consts = {
    H: hidden,
    H4: h4,
    SV: sliceVec4s,
    S: shares,
    C: chunks,
    IC: Math.ceil(hidden / chunks),
    WG: wg,
    PER: Math.ceil(hidden / wg),
  };
  const codeFor = (parts: number) =>
    withConsts(
      { ...consts, LABELS: labels, HAS_POOLER: Boolean(pooler), PARTS: Math.max(1, parts) },
      rowNormWgsl,
      expandWgsl(headWgsl, { LN: parts > 0 }), // its //#if and //#unroll blocks
    );
  const layout = bindingLayout(device, 'encoder.head', ['uniform', 'read', 'read', 'read', 'write']);
  const pipeline = compilePipeline(device, layout, 'encoder.head', codeFor(0));
  const lnLayout = bindingLayout(device, 'encoder.head+ln', [
    'uniform',
    'read',
    'read',
    'read',
    'write',
    'read',
    'read',
  ]);
  const lnPipelines = new Map<number, GPUComputePipeline>();
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
    shares,
    encode(pass, bindGroup, batch) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(shares, batch);
    },
    withLayerNorm: {
      layout: lnLayout,
      encode(pass, bindGroup, batch, parts) {
        if (!(Number.isInteger(parts) && parts >= 1))
          throw new RangeError(`parts must be a positive integer, got ${parts}`);
        let p = lnPipelines.get(parts);
        if (!p)
          lnPipelines.set(parts, (p = compilePipeline(device, lnLayout, `encoder.head+ln p${parts}`, codeFor(parts))));
        pass.setPipeline(p);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(shares, batch);
      },
    },
    destroy() {
      for (const b of weights) b.destroy();
    },
  };
}
