// The attention of the [CLS] query alone (attention-cls.wgsl), for a last layer whose other rows
// nothing reads (the engine's clsTail). Same bindings as every f32 attention kernel (params {seq,
// scale, heads}, q, k, v, mask, ctx), so it takes the layer's attention bind group; it writes
// ctx's [CLS] rows only. One pipeline a key capacity (multiples of WG), compiled on first use.
import clsWgsl from './attention-cls.wgsl?raw';
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import { compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { attentionLayout, type AttentionEncode, type QkvRows } from './attention-tiled';

/** Threads a workgroup: a 128-key sequence scores a key a thread. */
const WG = 128;

export interface ClsAttention {
  layout: KernelLayout;
  /** Writes ctx row b * seq of each sequence b (the other rows are left as they were). */
  encode: AttentionEncode;
}

export function createClsAttention(device: GPUDevice, hidden: number, heads: number, qkv: QkvRows): ClsAttention {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  if (d > WG) throw new RangeError(`[CLS] attention: head size ${d} is over ${WG}`);
  const layout = attentionLayout(device);
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (seq: number) => {
    const nk = Math.max(1, Math.ceil(seq / WG)) * WG;
    let pipeline = pipelines.get(nk);
    if (!pipeline) {
      const consts = { H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v, WG, NK: nk };
      const code = withConsts({ ...consts, CH: Math.floor(WG / d) }, loadF32Wgsl, liveHeadWgsl, clsWgsl);
      pipeline = compilePipeline(device, layout, `encoder.attention cls ${nk}`, code);
      pipelines.set(nk, pipeline);
    }
    return pipeline;
  };
  return {
    layout,
    encode(pass, bindGroup, batch, seq, liveHeads = heads) {
      pass.setPipeline(pipelineFor(seq));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(liveHeads, batch);
    },
  };
}
