// Runner of int8-quantize.wgsl: f32 activations (tokens x width) -> packed int8 codes (tokens x
// int8RowWords(width) words: zero codes past width, up to whole groups of 32) and one f32 scale
// per token, per token (dynamic) or with one calibrated range (static), exactly as
// core/quant/quantize.ts's quantizeRows / quantizeStatic; with `columnWords`, the codes as
// columns instead (int8-transpose.ts's layout: int8RowWords(width) * 4 columns x columnWords words,
// four tokens a word), for the HP kernels that read X that way.
import quantizeWgsl from './int8-quantize.wgsl?raw';
import scaleWgsl from './int8-scale.wgsl?raw';
import {
  bindingLayout,
  compilePipeline,
  rowGrid,
  tokenUniform,
  uploadBuffer,
  asBinding,
  runDispatch,
  type BufferArg,
  type EncodeTarget,
} from '../kernel';
import { checkBufferArg } from '../limits';
import { expandWgsl } from './wgsl-template';
import { checkTokens } from './linear-common';
import { int8RowWords, readMaskWords } from '../../core/quant/gpu-layout';

export interface Int8Quantizer {
  readonly width: number;
  readonly words: number;
  /** Whether the largest |x| is taken with subgroup operations. */
  readonly subgroup: boolean;
  /** Whether the scale is over the columns read alone (the 'read' scale; opts.read). */
  readonly read: boolean;
  encode(target: EncodeTarget, x: BufferArg, codes: BufferArg, scales: BufferArg, tokens?: number): void;
  destroy(): void;
}

/** `range`: static quantization with this calibrated largest |x|; dynamic (per token) without.
 *  `columnWords`: write the codes as columns of this many words (int8ColumnWords(tokens)).
 *  `subgroupMaxSize`: the adapter's largest subgroup; where it is at most 64, the device has
 *  'subgroups' and the width is a multiple of 4: int8-quantize.wgsl SUBGROUP (x read once as
 *  vec4s, each token's largest |x| by subgroupMax).
 *  `read` (dynamic only): the columns the next linear reads (1 each): the scale over those alone,
 *  the other columns' codes 0 (core/quant quantizeRows' `read`); absent or all read: every column. */
export function createInt8Quantizer(
  device: GPUDevice,
  opts: {
    tokens: number;
    width: number;
    range?: number;
    label?: string;
    columnWords?: number;
    subgroupMaxSize?: number;
    read?: Uint8Array;
  },
): Int8Quantizer {
  const { width, tokens: maxTokens } = opts;
  const label = opts.label ?? `int8 quantize x${width}`;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`${label}: width must be a positive integer`);
  if (opts.range !== undefined && !(opts.range >= 0 && Number.isFinite(opts.range)))
    throw new RangeError(`${label}: range must be a finite number >= 0`);
  const words = int8RowWords(width);
  const isStatic = opts.range !== undefined;
  if (opts.read && opts.read.length !== width) throw new RangeError(`${label}: read has ${opts.read.length} columns`);
  const read = !isStatic && opts.read !== undefined && !opts.read.every((r) => r);
  const layout = bindingLayout(device, `int8-quantize${read ? ' read' : ''}`, [
    'uniform',
    'read',
    'read',
    'write',
    'write',
    ...(read ? (['read'] as const) : []),
  ]);
  const tw = opts.columnWords ?? 0;
  if (tw && (tw % 4 !== 0 || tw * 4 < maxTokens))
    throw new RangeError(`${label}: columnWords must be a multiple of 4 holding ${maxTokens} tokens`);
  const sg = opts.subgroupMaxSize;
  const subgroup = Boolean(width % 4 === 0 && sg && sg <= 64 && device.features.has('subgroups' as GPUFeatureName));
  const w4 = width / 4;
  const pipeline = compilePipeline(
    device,
    layout,
    `int8-quantize${isStatic ? ' static' : ''}${tw ? ' columns' : ''}` +
      `${subgroup ? ' subgroup' : ''}${read ? ' read' : ''}`,
    expandWgsl(`${quantizeWgsl}\n${scaleWgsl}`, {
      ...{ STATIC: isStatic, COLUMNS: tw > 0, SUBGROUP: subgroup, READ: read },
      ...(subgroup ? { W4: w4, PER: Math.ceil(w4 / 64) } : {}),
    }),
  );
  // Workgroup memory: the tree's partial maxima, or (SUBGROUP) the subgroups' maxima and, as
  // columns, the four tokens' code words.
  const storageBytes = subgroup ? 1024 + (tw ? 16 * w4 : 0) + 256 : tw ? 1040 : 256;
  const range = uploadBuffer(device, Float32Array.of(opts.range ?? 0), `${label} range`);
  const mask = read ? uploadBuffer(device, readMaskWords(opts.read!, Math.max(4, words)), `${label} read`) : null;
  const uniforms = new Map<number, GPUBuffer>();
  const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
  let destroyed = false;
  return {
    width,
    words,
    subgroup,
    read,
    encode(target, x, codes, scales, tokens = maxTokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      const [xb, cb, sb] = [asBinding(x), asBinding(codes), asBinding(scales)];
      checkBufferArg(`${label} input`, xb, tokens * width * 4);
      checkBufferArg(`${label} codes`, cb, tw ? words * 4 * tw * 4 : tokens * words * 4);
      checkBufferArg(`${label} scales`, sb, tokens * 4);
      // One workgroup a token, or (columns) a group of four tokens, up to whole 16-token chunks
      // (zero codes past the tokens: the subgroup-matrix kernels load 16 tokens of a column).
      const [gx, gy] = rowGrid(tw ? Math.ceil(tokens / 16) * 4 : tokens, maxPerDim);
      const values = () => Uint32Array.of(tokens, width, words, gx, tw, 0, 0, 0);
      const u = tokenUniform(device, uniforms, tokens, values, label);
      const group = device.createBindGroup({
        label,
        layout: layout.group,
        entries: [u, range]
          .map((b, i) => ({ binding: i === 0 ? 0 : 2, resource: { buffer: b } }))
          .concat([
            { binding: 1, resource: xb },
            { binding: 3, resource: sb },
            { binding: 4, resource: cb },
          ])
          .concat(mask ? [{ binding: 5, resource: { buffer: mask } }] : []),
      });
      runDispatch(
        target,
        device.limits,
        label,
        { pipeline, workgroup: { x: tw ? 256 : 64, y: 1, storageBytes }, grid: { x: gx, y: gy } },
        group,
      );
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      range.destroy();
      mask?.destroy();
      for (const u of uniforms.values()) u.destroy();
    },
  };
}
