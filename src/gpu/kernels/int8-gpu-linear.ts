// An int8 linear behind the f32 GpuLinear interface (what the encoder engine composes): each
// encode quantizes X per token into its own scratch codes (int8-quantize), then runs the int8
// linear on them (int8-linear), two dispatches; or, from codes a previous kernel already wrote
// (the encoder's LayerNorm: encodeCodes), the int8 linear alone. The same numbers as
// core/quant's quantizedLinear with dynamic activations.
import type { GpuCapabilities } from '../adapter';
import { asBinding, type BufferArg, type EncodeTarget } from '../kernel';
import { createInt8Linear, type Int8LinearOptions, type Int8Weights } from './int8-linear';
import { createInt8Quantizer } from './int8-quantize';
import type { GpuLinear } from './linear-types';

export interface Int8GpuLinear extends GpuLinear {
  /** Words of one row of activation codes (int8RowWords(in)). */
  readonly inWords: number;
  /** Y from activation codes already made (tokens x inWords words, one f32 scale a token, as
   *  int8-quantize writes them): the int8 linear's dispatch alone. */
  encodeCodes(target: EncodeTarget, codes: BufferArg, scales: BufferArg, output: BufferArg, tokens?: number): void;
}

export function isInt8Linear(l: GpuLinear): l is Int8GpuLinear {
  return 'encodeCodes' in l;
}

export function createInt8GpuLinear(
  device: GPUDevice,
  caps: GpuCapabilities,
  weights: Int8Weights,
  opts: Int8LinearOptions,
): Int8GpuLinear {
  const lin = createInt8Linear(device, caps, weights, opts);
  const tokens = opts.tokens;
  const quantizer = createInt8Quantizer(device, { tokens, width: lin.in, label: `${opts.label ?? 'int8'} quantize` });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const codes = device.createBuffer({
    label: `${opts.label ?? 'int8'} x codes`,
    size: Math.max(16, tokens * lin.inWords * 4),
    usage,
  });
  const scales = device.createBuffer({
    label: `${opts.label ?? 'int8'} x scales`,
    size: Math.max(16, tokens * 4),
    usage,
  });
  const weightBytes = (weights.kind === 'dense' ? lin.inWords * lin.out * 4 : weights.quant.codes.length) + lin.out * 8;
  return {
    kind: lin.kind,
    in: lin.in,
    out: lin.out,
    maxTokens: tokens,
    inWords: lin.inWords,
    weightBytes,
    flops: (t = tokens) => lin.ops(t),
    tileFor: (t = tokens) => `int8 ${lin.variantFor(t)}`,
    encode(target: EncodeTarget, input: BufferArg, output: BufferArg, t = tokens) {
      quantizer.encode(target, asBinding(input), codes, scales, t);
      lin.encode(target, codes, scales, output, t);
    },
    encodeCodes(target, xq, xs, output, t = tokens) {
      lin.encode(target, xq, xs, output, t);
    },
    destroy() {
      lin.destroy();
      quantizer.destroy();
      codes.destroy();
      scales.destroy();
    },
  };
}
