// An int8 linear behind the f32 GpuLinear interface (what the encoder engine composes): each
// encode quantizes X per token into its own scratch codes (int8-quantize), then runs the int8
// linear on them (int8-linear), two dispatches. The same numbers as core/quant's quantizedLinear
// with dynamic activations. Where the kernel reads X as columns (HP's 'x' variants), the
// quantizer writes the codes as columns, so the kernel's own transpose pass is not needed.
import type { GpuCapabilities } from '../adapter';
import { asBinding, uploadBuffer, type BufferArg, type EncodeTarget } from '../kernel';
import { readMaskWords } from '../../core/quant/gpu-layout';
import { createInt8Linear, type Int8LinearOptions, type Int8Weights } from './int8-linear';
import { createInt8Quantizer } from './int8-quantize';
import type { GpuLinear } from './linear-types';

export function createInt8GpuLinear(
  device: GPUDevice,
  caps: GpuCapabilities,
  weights: Int8Weights,
  opts: Int8LinearOptions,
): GpuLinear {
  const lin = createInt8Linear(device, caps, weights, opts);
  const tokens = opts.tokens;
  const tw = lin.columnWords;
  const quantizer = createInt8Quantizer(device, {
    tokens,
    width: lin.in,
    label: `${opts.label ?? 'int8'} quantize`,
    columnWords: tw,
    subgroupMaxSize: caps.hasSubgroups ? caps.subgroupMaxSize : undefined,
    read: opts.read,
  });
  const read = quantizer.read ? opts.read : undefined;
  const readMask = read
    ? uploadBuffer(device, readMaskWords(read, Math.max(4, lin.inWords)), `${opts.label ?? 'int8'} read`)
    : undefined;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const codes = device.createBuffer({
    label: `${opts.label ?? 'int8'} x codes`,
    size: Math.max(16, tw ? lin.inWords * 4 * tw * 4 : tokens * lin.inWords * 4),
    usage,
  });
  const scales = device.createBuffer({
    label: `${opts.label ?? 'int8'} x scales`,
    size: Math.max(16, tokens * 4),
    usage,
  });
  const encodeFromCodes = (target: EncodeTarget, output: BufferArg, t: number) => {
    if (tw) lin.encodeColumns(target, codes, scales, output, t);
    else lin.encode(target, codes, scales, output, t);
  };
  const weightBytes = (weights.kind === 'dense' ? lin.inWords * lin.out * 4 : weights.quant.codes.length) + lin.out * 8;
  return {
    kind: lin.kind,
    in: lin.in,
    out: lin.out,
    maxTokens: tokens,
    weightBytes,
    flops: (t = tokens) => lin.ops(t),
    tileFor: (t = tokens) => `int8 ${lin.variantFor(t)}`,
    encode(target: EncodeTarget, input: BufferArg, output: BufferArg, t = tokens) {
      quantizer.encode(target, asBinding(input), codes, scales, t);
      encodeFromCodes(target, output, t);
    },
    int8Input: { codes, scales, columnWords: tw ?? 0, readMask, read, encode: encodeFromCodes },
    destroy() {
      lin.destroy();
      quantizer.destroy();
      codes.destroy();
      scales.destroy();
      readMask?.destroy();
    },
  };
}
