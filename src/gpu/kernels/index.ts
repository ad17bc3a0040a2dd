// The linear-layer kernels' public API, for the encoder engine (gpu/encoder), the benchmark CLI
// and the GPU-measure panel. Both kernels compute Y = X·Wᵀ + b, optionally followed by BERT's
// erf-exact GELU, in f32:
//   X: tokens x in, row-major (the caller's buffer), Y: tokens x out, row-major (the caller's),
//   W: out x in, row-major, as core/model/bert-types Linear.weight (dense), or an HPMatrix.
//
// Each call picks its variant: a register tile / token block sized to the call (dense-tiles.ts,
// hp-linear.ts), or with the 'subgroups' feature and few tokens a subgroup variant
// (subgroup-rules.ts); `weights: 'f16'` stores W (or the HP values) as f16, math stays f32.
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
import type { BufferArg, EncodeTarget } from './linear-common';

export type { BufferArg, EncodeTarget } from './linear-common';
export type WeightPrecision = 'f32' | 'f16';
export { GpuLimitError } from '../limits';

export interface DenseLinearOptions {
  /** Largest token count (rows of X) `encode` will be called with; sizes the limit checks. */
  tokens: number;
  in: number;
  out: number;
  /** W, row-major, out x in (Linear.weight). */
  weight: Float32Array;
  /** `out` values; zeros when absent. */
  bias?: Float32Array;
  /** Apply erf-exact GELU after the bias (BERT's FFN-in). */
  gelu?: boolean;
  /** How W is stored on the GPU: 'f16' halves its bytes (needs in % 4 == 0); math stays f32. */
  weights?: WeightPrecision;
  /** Force a register-tile config by name (DENSE_TILES); benchmarks only. Default: chosen per token count. */
  tile?: string;
  label?: string;
}

export interface HPLinearOptions {
  /** Largest token count `encode` will be called with. */
  tokens: number;
  /** W in HP format (core/formats/hp.ts); Tr must be a multiple of 4 (8, 16, 32 …), any Tc ≤ 256. */
  hp: HPMatrix;
  bias?: Float32Array;
  gelu?: boolean;
  /** The HP values' type on the GPU (the format's value type): 'f16' halves them; math stays f32. */
  weights?: WeightPrecision;
  /** Force a tile config by name (HP_TILES); benchmarks only. */
  tile?: string;
  label?: string;
}

/** One linear layer on the GPU, weights resident. */
export interface GpuLinear {
  readonly kind: 'dense' | 'hp';
  readonly in: number;
  readonly out: number;
  /** The `tokens` given at creation: the most `encode` accepts. */
  readonly maxTokens: number;
  /** Bytes of the weight, index and bias buffers on the GPU. */
  readonly weightBytes: number;
  /** Floating-point operations actually performed for `tokens` (2 per stored weight per token). */
  flops(tokens?: number): number;
  /** Name of the tile config `encode` would use for `tokens` (for reports). */
  tileFor(tokens?: number): string;
  /**
   * Records Y = X·Wᵀ + b (GELU) for the first `tokens` rows (default maxTokens) into `target`:
   * an open compute pass (one setPipeline/setBindGroup/dispatch is added) or a command encoder
   * (a compute pass is begun and ended). `input` holds at least tokens*in f32, `output` at least
   * tokens*out f32; both need STORAGE usage and must not overlap. tokens = 0 records nothing.
   */
  encode(target: EncodeTarget, input: BufferArg, output: BufferArg, tokens?: number): void;
  /** Frees the weight buffers and cached uniforms; the object is unusable afterwards. */
  destroy(): void;
}

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
  return opts.hp ? createHPLinearImpl(device, caps, opts) : createDenseLinearImpl(device, caps, opts as DenseLinearOptions);
}

