// The attention of the [CLS] query alone (attention-cls.wgsl), for a last layer whose other rows
// nothing reads (the engine's clsTail). Same bindings as every f32 attention kernel (params {seq,
// scale, heads}, q, k, v, mask, ctx), so it takes the layer's attention bind group; it writes
// ctx's [CLS] rows only. One pipeline a key capacity (multiples of WG), compiled on first use.
// `compact`: the same writing the context as compact rows (row b) and copying x's [CLS] rows beside
// it (its own bind group: params, q, k, v, mask, ctx rows, x, x rows), so the tail needs no gather.
import clsWgsl from './attention-cls.wgsl?raw';
import storeWgsl from './attention-cls-store.wgsl?raw';
import compactWgsl from './attention-cls-compact.wgsl?raw';
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import { bindingLayout, compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { attentionLayout, type AttentionEncode, type QkvRows } from './attention-tiled';

/** Threads a workgroup: a 128-key sequence scores a key a thread. */
const WG = 128;
/** Most bytes of workgroup memory the staged values take (NK x D floats): 128-384 keys of 26. */
const STAGE_V_BYTES = 40 * 1024;

export interface ClsAttention {
  layout: KernelLayout;
  /** Writes ctx row b * seq of each sequence b (the other rows are left as they were). */
  encode: AttentionEncode;
  /** Writes row b of compact context rows and copies x's row b * seq to row b of compact x rows. */
  compact: { layout: KernelLayout; encode: AttentionEncode };
}

/** `stageValues`: copy each key's values into workgroup memory with its key (default: where they fit,
 *  STAGE_V_BYTES; false: the sums read them from storage, the form before). */
export function createClsAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  opts: { stageValues?: boolean } = {},
): ClsAttention {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  if (d > WG) throw new RangeError(`[CLS] attention: head size ${d} is over ${WG}`);
  const layout = attentionLayout(device);
  const compactLayout = bindingLayout(device, 'encoder.attention-cls-compact', [
    'uniform',
    'read',
    'read',
    'read',
    'read',
    'write',
    'read',
    'write',
  ]);
  const pipelines = new Map<string, GPUComputePipeline>();
  const pipelineFor = (seq: number, compact: boolean) => {
    const nk = Math.max(1, Math.ceil(seq / WG)) * WG;
    const key = `${nk}:${compact}`;
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      // The values staged where they fit beside the rest (q, scores, reductions, partial sums).
      const ch = Math.floor(WG / d);
      const rest = (d + nk + WG + ch * d) * 4;
      const fits = nk * d * 4 <= Math.min(STAGE_V_BYTES, device.limits.maxComputeWorkgroupStorageSize - rest);
      const stage = fits && opts.stageValues !== false;
      const consts = {
        ...{ H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v, WG, NK: nk },
        ...{ STAGE_V: stage, VS: stage ? nk * d : 1 },
      };
      const store = compact ? compactWgsl : storeWgsl;
      const code = withConsts({ ...consts, CH: ch }, loadF32Wgsl, liveHeadWgsl, store, clsWgsl);
      const label = `encoder.attention cls ${nk}${compact ? ' compact' : ''}`;
      pipeline = compilePipeline(device, compact ? compactLayout : layout, label, code);
      pipelines.set(key, pipeline);
    }
    return pipeline;
  };
  const encoder =
    (compact: boolean): AttentionEncode =>
    (pass, bindGroup, batch, seq, liveHeads = heads) => {
      pass.setPipeline(pipelineFor(seq, compact));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(liveHeads, batch);
    };
  return { layout, encode: encoder(false), compact: { layout: compactLayout, encode: encoder(true) } };
}
