// The linear-layer kernels' public API, for the encoder engine (gpu/encoder), the benchmark CLI
// and the GPU-measure panel. Both kernels compute Y = X·Wᵀ + b, optionally followed by BERT's
// erf-exact GELU, in f32:
//   X: tokens x in, row-major (the caller's buffer), Y: tokens x out, row-major (the caller's),
//   W: out x in, row-major, as core/model/bert-types Linear.weight (dense), or an HPMatrix.
//
// Each call picks its variant by one rule (variant-rule.ts): a register tile / token block sized
// to the call, or with the 'subgroups' feature and few tokens a subgroup variant.
// `weights: 'f16'` stores W (or the HP values) as f16, math stays f32.
//
// Weights are uploaded once at creation. `encode` records one dispatch into the caller's
// compute pass or command encoder; the token count is a per-call argument (a uniform chosen per
// token count, with its bind group cached), so one object serves every batch x sequence length
// up to `tokens` given at creation. Pipelines are compiled once per device and tile config and
// shared between objects. Bad shapes, undersized buffers and problems beyond the device's limits
// throw a RangeError (GpuLimitError for limits) before anything is encoded.
import type { GpuCapabilities } from '../adapter';
import type { HPMatrix } from '../../core/formats/hp';
import { createDenseLinearImpl } from './dense-linear';
import { createHPLinearImpl } from './hp-linear';
import type { DenseLinearOptions, GpuLinear, HPLinearOptions } from './linear-types';

export type { BufferArg, EncodeTarget } from './linear-common';
export { GpuLimitError } from '../limits';
export type { DenseLinearOptions, GpuLinear, HPLinearOptions, WeightPrecision } from './linear-types';

/** Dense linear layer (tiled f32 GEMM, vec4 loads when in % 4 == 0). */
export function createDenseLinear(device: GPUDevice, caps: GpuCapabilities, opts: DenseLinearOptions): GpuLinear {
  return createDenseLinearImpl(device, caps, opts);
}

/** HP-sparse linear layer reading packHPForGPU's buffers (header, tileCol, colOff, values). */
export function createHPLinear(device: GPUDevice, caps: GpuCapabilities, opts: HPLinearOptions): GpuLinear {
  return createHPLinearImpl(device, caps, opts);
}

/** For callers that hold either representation of a layer. */
export function createLinear(
  device: GPUDevice,
  caps: GpuCapabilities,
  opts: ({ hp: HPMatrix } & HPLinearOptions) | ({ hp?: undefined } & DenseLinearOptions),
): GpuLinear {
  return opts.hp
    ? createHPLinearImpl(device, caps, opts)
    : createDenseLinearImpl(device, caps, opts as DenseLinearOptions);
}
