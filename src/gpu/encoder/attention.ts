// Fused multi-head attention kernel (attention.wgsl): where Q, K and V sit in their rows, tile
// sizes chosen for the head size and the device's workgroup memory, and queries per workgroup
// chosen per call so that few tokens still spread over many workgroups.
import attentionWgsl from './attention.wgsl?raw';
import { bindingLayout, compilePipeline, withConsts, type KernelLayout } from '../kernel';

/** Where a head's Q, K and V columns start in rows of `stride` floats (head h adds h * D). */
export interface QkvLayout {
  stride: number;
  q: number;
  k: number;
  v: number;
}

export interface AttentionKernel {
  /** Bindings: params {seq, scale}, q, k, v, mask, ctx (one layout for every variant). */
  layout: KernelLayout;
  /** Queries per workgroup the call would use (reports, tests). */
  queriesPerGroup(batch: number, seq: number): number;
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number, seq: number): void;
}

/** Q, K and V in three separate [tokens, hidden] buffers. */
export function separateQkv(hidden: number): QkvLayout {
  return { stride: hidden, q: 0, k: 0, v: 0 };
}

/** Enough workgroups to keep a large GPU busy before making them wider. */
const MIN_GROUPS = 264;
const QUERY_TILES = [64, 32, 16];

export function createAttentionKernel(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout = separateQkv(hidden),
): AttentionKernel {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  const d4 = Math.ceil(d / 4);
  if (qkv.stride < hidden || [qkv.q, qkv.k, qkv.v].some((o) => o < 0 || o + hidden > qkv.stride))
    throw new RangeError(`Q/K/V layout ${JSON.stringify(qkv)} does not hold ${hidden} columns per row`);
  const limits = device.limits;
  // Keys per tile: 64 for small heads (fewer barriers), fewer for big heads (registers for the
  // scores, workgroup memory for K and V).
  const storage = (kt: number) => (2 * kt * d4 * 4 + kt) * 4;
  let kt = d <= 32 ? 64 : d <= 64 ? 32 : 16;
  while (kt > 4 && storage(kt) > limits.maxComputeWorkgroupStorageSize) kt /= 2;
  if (storage(kt) > limits.maxComputeWorkgroupStorageSize)
    throw new RangeError(`head size ${d} does not fit this device's workgroup memory`);
  const tiles = QUERY_TILES.filter(
    (qt) => qt <= limits.maxComputeInvocationsPerWorkgroup && qt <= limits.maxComputeWorkgroupSizeX,
  );
  const layout = bindingLayout(device, 'encoder.attention', ['uniform', 'read', 'read', 'read', 'read', 'write']);
  // One pipeline per query tile, looked up by number: building the source and its cache key on
  // every encode cost CPU time in each forward.
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (qt: number) => {
    let pipeline = pipelines.get(qt);
    if (!pipeline) {
      const consts = { H: hidden, D: d, D4: d4, QT: qt, KT: kt, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v };
      pipeline = compilePipeline(device, layout, `encoder.attention qt=${qt}`, withConsts(consts, attentionWgsl));
      pipelines.set(qt, pipeline);
    }
    return pipeline;
  };
  const queriesPerGroup = (batch: number, seq: number) =>
    tiles.find((qt) => Math.ceil(seq / qt) * heads * batch >= MIN_GROUPS) ?? tiles[tiles.length - 1];
  return {
    layout,
    queriesPerGroup,
    encode(pass, bindGroup, batch, seq) {
      const qt = queriesPerGroup(batch, seq);
      pass.setPipeline(pipelineFor(qt));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / qt), heads, batch);
    },
  };
}
