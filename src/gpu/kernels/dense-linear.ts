// Runner of dense-linear.wgsl: uploads W and b once, asks variant-rule.ts for the variant per
// token count (a register tile and, with splitK, its K-slices; or the few-token subgroup
// variant), encodes into the caller's pass or encoder.
import denseWgsl from './dense-linear.wgsl?raw';
import { checkStorageBinding } from '../limits';
import type { GpuCapabilities } from '../adapter';
import {
  BindingCache,
  cachedPipeline,
  kernelLayout,
  linearObject,
  uploadBuffer,
  weightQuadValues,
  type KernelDispatch,
} from './linear-common';
import type { DenseLinearOptions, GpuLinear } from './linear-types';
import { packF16Pairs } from '../../core/formats/f16';
import { denseSubgroupDispatch, deviceHasSubgroups } from './subgroup-variant';
import {
  MAX_SPLIT_K,
  denseTileStorage,
  denseVariant,
  splitGeometry,
  variantName,
  type DenseTileConfig,
  type VariantDevice,
} from './variant-rule';

export function createDenseLinearImpl(device: GPUDevice, caps: GpuCapabilities, opts: DenseLinearOptions): GpuLinear {
  const { in: nIn, out: nOut, weight } = opts;
  const maxTokens = opts.tokens;
  const label = opts.label ?? `dense ${nOut}x${nIn}`;
  if (![nIn, nOut].every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError(`${label}: in and out must be positive integers`);
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (weight.length !== nIn * nOut)
    throw new RangeError(`${label}: weight has ${weight.length} values, expected out*in = ${nOut * nIn}`);
  if (opts.bias && opts.bias.length !== nOut)
    throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
  const limits = device.limits;
  checkStorageBinding(limits, `${label} weight`, nIn * nOut * 4);
  checkStorageBinding(limits, `${label} input (${maxTokens} tokens)`, maxTokens * nIn * 4);
  checkStorageBinding(limits, `${label} output (${maxTokens} tokens)`, maxTokens * nOut * 4);

  const vec = nIn % 4 === 0;
  const f16 = opts.weights === 'f16';
  if (f16 && !vec)
    throw new RangeError(`${label}: f16 weights are read four at a time and need in % 4 == 0, got in = ${nIn}`);
  const split = opts.splitK;
  if (split !== undefined && split !== 'auto' && !(Number.isInteger(split) && split >= 1 && split <= MAX_SPLIT_K))
    throw new RangeError(`${label}: splitK must be 'auto' or an integer in [1, ${MAX_SPLIT_K}], got ${split}`);
  if (opts.gelu && split !== undefined && split !== 1)
    throw new RangeError(`${label}: splitK writes partial sums, which GELU cannot follow`);
  const layout = kernelLayout(device, 'dense-linear', 4);
  const wBuf = uploadBuffer(device, f16 ? packF16Pairs(weight) : weight, `${label} W${f16 ? ' f16' : ''}`);
  const bBuf = uploadBuffer(device, opts.bias ?? new Float32Array(nOut), `${label} b`);
  const dev: VariantDevice = { limits, caps, subgroups: deviceHasSubgroups(device) };
  const variant = (tokens: number) => denseVariant(dev, { in: nIn, out: nOut }, tokens, opts.tile, label, opts.splitK);
  /** Inputs per K-slice for `tokens` (all of K unless split). */
  const sliceFor = (tokens: number) => {
    const v = variant(tokens);
    return v.kind === 'tile' ? splitGeometry(nIn, v.parts, v.tile.bk) : { ks: nIn, parts: 1 };
  };
  const cache = new BindingCache(device, label, (tokens) => [nIn, nOut, sliceFor(tokens).ks]);

  function pipelineFor(c: DenseTileConfig, split: boolean): GPUComputePipeline {
    const bm = c.wy * 4 * c.rm;
    const bn = c.wx * 4 * c.rn;
    const threads = c.wx * c.wy;
    const per = vec ? 4 : 1;
    return cachedPipeline(
      device,
      layout,
      denseWgsl,
      {
        WX: c.wx,
        WY: c.wy,
        RM: c.rm,
        RN: c.rn,
        BK: c.bk,
        BM: bm,
        BN: bn,
        A_LOADS: Math.ceil((bm * c.bk) / per / threads),
        B_LOADS: Math.ceil((bn * c.bk) / per / threads),
        VEC: vec,
        VEC_OUT: nOut % 4 === 0,
        // The XOR permutation stays within aligned groups of 8 vec4 columns.
        SWIZZLE: vec && (bm / 4) % 8 === 0 && (bn / 4) % 8 === 0,
        LDS2D: Boolean(c.lds2d),
        SPLIT: split,
        BIAS: true,
        GELU: Boolean(opts.gelu),
        ...weightQuadValues(f16),
      },
      `dense-linear ${c.name}${vec ? ' vec4' : ''}${nOut % 4 ? '' : ' vec4-out'}` +
        `${opts.gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}${split ? ' split-k' : ''}`,
    );
  }

  function dispatchFor(tokens: number): KernelDispatch {
    const v = variant(tokens);
    if (v.kind === 'subgroup') return denseSubgroupDispatch(device, layout, nOut, tokens, Boolean(opts.gelu), f16);
    const c = v.tile;
    const { parts } = sliceFor(tokens);
    return {
      pipeline: pipelineFor(c, parts > 1),
      workgroup: { x: c.wx, y: c.wy, storageBytes: denseTileStorage(c) },
      grid: { x: Math.ceil(nOut / (c.wx * 4 * c.rn)), y: Math.ceil(tokens / (c.wy * 4 * c.rm)), z: parts },
    };
  }

  return linearObject({
    kind: 'dense',
    label,
    in: nIn,
    out: nOut,
    maxTokens,
    limits,
    layout,
    cache,
    owned: [wBuf, bBuf],
    flopsPerToken: 2 * nIn * nOut,
    tileFor: (tokens) => variantName(variant(tokens)),
    partsFor: (tokens) => sliceFor(tokens).parts,
    dispatchFor,
    bindings: (x, y) => [x, { buffer: wBuf }, { buffer: bBuf }, y],
  });
}
