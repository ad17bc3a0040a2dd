// The int8 model's integer attention on the GPU (attention-int8.wgsl; the same integers as
// core/quant int-attention.ts, which the engine's int8 option and `hp-lab eval --quant int8
// --int8-attention on` share): the f32 attention kernels' bindings and dispatch shape, one
// workgroup per (128 / splits queries, head, sequence) holding every key of the sequence, so
// sequences up to the `maxSeq` it was made for; `splits` invocations a query (keys split between
// them, their sums added at the end).
import attentionInt8Wgsl from './attention-int8.wgsl?raw';
import commonWgsl from './attention-int8-common.wgsl?raw';
import int8ScaleWgsl from '../kernels/int8-scale.wgsl?raw';
import { SOFTMAX_THRESHOLDS } from '../../core/quant/int-attention';
import { compilePipeline, withConsts } from '../kernel';
import { attentionLayout } from './attention-tiled';
import { expandWgsl } from '../kernels/wgsl-template';
import type { AttentionKernel, QkvLayout } from './attention';

/** Queries (invocations) a workgroup. */
const WG = 128;

/** The softmax thresholds as WGSL: the f32 bits of each, so the GPU's table is the CPU's. */
export function thresholdTable(): string {
  const bits = new Uint32Array(Float32Array.from(SOFTMAX_THRESHOLDS).buffer);
  return `const SOFTMAX_T = array<u32, ${bits.length}>(${Array.from(bits, (b) => `0x${b.toString(16)}u`).join(', ')});`;
}

/** Workgroup bytes of the int8 attention for sequences up to maxSeq (kc, vt, live, thresholds,
 *  kmax, vmax, vsc, splitMax, partial). */
function storageBytes(d: number, maxSeq: number, splits: number): number {
  const lmax = Math.max(4, Math.ceil(maxSeq / 4) * 4);
  const partial = Math.max(1, (splits - 1) * (WG / splits) * (d + 1));
  return 4 * (lmax * Math.ceil(d / 4) + d * (lmax / 4 + 1) + lmax + 128 + 1 + 3 * d + WG + partial);
}

/** Whether the int8 attention takes this model's heads and sequences of maxSeq on this device. */
export function int8AttentionFits(device: GPUDevice, hidden: number, heads: number, maxSeq: number, splits = 1) {
  const d = hidden / heads;
  return d <= WG && storageBytes(d, maxSeq, splits) <= device.limits.maxComputeWorkgroupStorageSize;
}

export function createInt8AttentionKernel(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout,
  maxSeq: number,
  splits: 1 | 2 | 4 = 1,
): AttentionKernel {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  if (d > WG) throw new RangeError(`the int8 attention takes heads of up to ${WG} values, got ${d}`);
  const d4 = Math.ceil(d / 4);
  const lmax = Math.max(4, Math.ceil(maxSeq / 4) * 4);
  const qb = WG / splits;
  const partial = Math.max(1, (splits - 1) * qb * (d + 1));
  const bytes = storageBytes(d, maxSeq, splits);
  if (bytes > device.limits.maxComputeWorkgroupStorageSize)
    throw new RangeError(
      `the int8 attention holds a sequence's keys in workgroup memory: ${maxSeq} tokens need ${bytes} bytes, ` +
        `this device has ${device.limits.maxComputeWorkgroupStorageSize}`,
    );
  const layout = attentionLayout(device);
  const consts = { H: hidden, D: d, D4: d4, WG, S: splits, QB: qb, PARTIAL: partial, LMAX: lmax, G: lmax / 4 };
  const pipeline = compilePipeline(
    device,
    layout,
    `encoder.attention int8 l${lmax} s${splits}`,
    withConsts(
      { ...consts, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v },
      thresholdTable(),
      int8ScaleWgsl,
      commonWgsl,
      expandWgsl(attentionInt8Wgsl, { D: d, D4: d4 }),
    ),
  );
  return {
    layout,
    variant: splits > 1 ? `int8 s${splits}` : 'int8',
    queriesPerGroup: () => qb,
    encode(pass, bindGroup, batch, seq) {
      if (seq > lmax) throw new RangeError(`the int8 attention was made for ${lmax} tokens a sequence, got ${seq}`);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / qb), heads, batch);
    },
  };
}
