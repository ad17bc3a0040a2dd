// Multi-head attention kernel (attention.wgsl): tile sizes chosen for the head size and the
// device's workgroup memory.
import attentionWgsl from './attention.wgsl?raw';
import { computePipeline, withConsts } from './shader';

export interface AttentionKernel {
  pipeline: GPUComputePipeline;
  /** Bindings: params {seq, scale}, q, k, v, mask, ctx. */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number, seq: number): void;
}

export function createAttentionKernel(device: GPUDevice, hidden: number, heads: number): AttentionKernel {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0) throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  const qt = Math.min(64, device.limits.maxComputeInvocationsPerWorkgroup);
  // Keys per tile: 64 for small heads (fewer barriers), fewer for big heads (registers for the
  // scores, workgroup memory for K and V).
  let kt = d <= 32 ? 64 : d <= 64 ? 32 : 16;
  while (kt > 4 && (2 * kt * d + kt) * 4 > device.limits.maxComputeWorkgroupStorageSize) kt /= 2;
  if ((2 * kt * d + kt) * 4 > device.limits.maxComputeWorkgroupStorageSize) throw new RangeError(`head size ${d} does not fit this device's workgroup memory`);
  const pipeline = computePipeline(device, 'encoder.attention', withConsts({ H: hidden, D: d, QT: qt, KT: kt }, attentionWgsl));
  return {
    pipeline,
    encode(pass, bindGroup, batch, seq) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / qt), heads, batch);
    },
  };
}
