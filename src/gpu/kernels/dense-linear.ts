// Runner of dense-linear.wgsl: uploads W and b once, asks variant-rule.ts for the variant per
// token count (a register tile and, with splitK, its K-slices; or the few-token subgroup
// variant), encodes into the caller's pass or encoder.
import denseWgsl from './dense-linear.wgsl?raw';
import { checkStorageBinding } from '../limits';
import type { GpuCapabilities } from '../adapter';
import {
  BindingCache,
  asBinding,
  cachedPipeline,
  checkIo,
  checkTokens,
  kernelLayout,
  linearObject,
  runDispatch,
  uploadBuffer,
  weightQuadValues,
  type KernelDispatch,
} from './linear-common';
import { bindingLayout } from '../kernel';
import type { BufferArg, EncodeTarget } from '../kernel';
import type { DenseDeferredLn, DenseLinearOptions, GpuLinear } from './linear-types';
import { packF16Pairs } from '../../core/formats/f16';
import { denseSubgroupDispatch, deviceHasSubgroups } from './subgroup-variant';
import {
  MAX_SPLIT_K,
  denseTileStorage,
  deferredSlots,
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
  const named = split === 'auto' || split === 'engine';
  if (split !== undefined && !named && !(Number.isInteger(split) && split >= 1 && split <= MAX_SPLIT_K))
    throw new RangeError(
      `${label}: splitK must be 'auto', 'engine' or an integer in [1, ${MAX_SPLIT_K}], got ${split}`,
    );
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

  /** The kernel's epilogue/prologue mode: plain (Y = XWᵀ + b), the deferred LayerNorm's producer
   *  (stats) or consumer (norm); see dense-linear.wgsl. */
  type Mode = { kind: 'plain' } | { kind: 'stats' } | { kind: 'norm'; eps: number };
  const layouts = new Map<string, ReturnType<typeof bindingLayout>>();
  const MODE_BINDINGS = {
    plain: [],
    stats: ['read', 'write'],
    norm: ['read', 'read', 'write'],
  } as const;
  const layoutOf = (kind: Mode['kind']) => {
    if (kind === 'plain') return layout;
    let l = layouts.get(kind);
    if (!l) {
      const extra = MODE_BINDINGS[kind];
      l = bindingLayout(device, `dense-linear-${kind}`, ['uniform', 'read', 'read', 'read', 'write', ...extra]);
      layouts.set(kind, l);
    }
    return l;
  };

  function pipelineFor(c: DenseTileConfig, split: boolean, mode: Mode = { kind: 'plain' }): GPUComputePipeline {
    const bm = c.wy * 4 * c.rm;
    const bn = c.wx * 4 * c.rn;
    const threads = c.wx * c.wy;
    const per = vec ? 4 : 1;
    return cachedPipeline(
      device,
      layoutOf(mode.kind),
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
        SWIZZLE_A: vec && (bm / 4) % 8 === 0,
        SWIZZLE_B: vec && (bn / 4) % 8 === 0,
        LDS2D: Boolean(c.lds2d),
        SPLIT: split,
        BIAS: true,
        GELU: Boolean(opts.gelu),
        STATS_OUT: mode.kind === 'stats',
        NORM_IN: mode.kind === 'norm',
        ...('eps' in mode ? { EPS: String(mode.eps) } : {}),
        SLOTS: deferredSlots(mode.kind === 'norm' ? nIn : nOut),
        KIN: nIn,
        ...weightQuadValues(f16),
      },
      `dense-linear ${c.name}${vec ? ' vec4' : ''}${nOut % 4 ? '' : ' vec4-out'}` +
        `${opts.gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}${split ? ' split-k' : ''}` +
        `${mode.kind === 'plain' ? '' : ` +${mode.kind}`}`,
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

  // The deferred LayerNorm (DenseLinearOptions.deferLn): the producer's and the consumer's
  // dispatches, with the plain kernel's tile for the call (a tile, unsplit; else not available).
  const defer = opts.deferLn;
  if (defer && (!vec || nOut % 4 !== 0 || (split !== undefined && split !== 1)))
    throw new RangeError(`${label}: deferLn needs in % 4 == 0, out % 4 == 0 and no split-K`);
  const deferTile = (tokens: number) => {
    const v = variant(tokens);
    if (v.kind !== 'tile' || v.parts !== 1) return null;
    const bn = v.tile.wx * 4 * v.tile.rn;
    return Math.ceil(nOut / bn) <= deferredSlots(nOut) ? v.tile : null;
  };
  const deferCache = defer && new BindingCache(device, `${label} deferred`, [nIn, nOut, nIn]);
  const deferDispatches = new Map<string, KernelDispatch>();
  const deferDispatch = (tokens: number, mode: Mode): KernelDispatch => {
    const key = `${mode.kind}:${tokens}`;
    let d = deferDispatches.get(key);
    if (!d) {
      const c = deferTile(tokens);
      if (!c) throw new RangeError(`${label}: no deferred-LayerNorm tile for ${tokens} tokens`);
      const bm = c.wy * 4 * c.rm;
      const storage =
        mode.kind === 'stats'
          ? denseTileStorage(c) + (bm / 4) * c.wx * 16
          : denseTileStorage(c) + bm * 8 + (nIn / 2) * 16;
      d = {
        pipeline: pipelineFor(c, false, mode),
        workgroup: { x: c.wx, y: c.wy, storageBytes: storage },
        grid: { x: Math.ceil(nOut / (c.wx * 4 * c.rn)), y: Math.ceil(tokens / bm), z: 1 },
      };
      deferDispatches.set(key, d);
    }
    return d;
  };
  const deferEncode = (target: EncodeTarget, tokens: number, mode: Mode, buffers: BufferArg[]) => {
    checkTokens(tokens, maxTokens, `${label} deferred`);
    const [input, output, ...rest] = buffers.map(asBinding);
    checkIo(`${label} deferred`, input, output, tokens, nIn, nOut);
    const d = deferDispatch(tokens, mode);
    const group = deferCache!.bindGroup(layoutOf(mode.kind).group, tokens, [
      input,
      { buffer: wBuf },
      { buffer: bBuf },
      output,
      ...rest,
    ]);
    runDispatch(target, limits, `${label} deferred`, d, group);
  };
  const deferLn: DenseDeferredLn | undefined = defer
    ? {
        available: (tokens) => deferTile(tokens) !== null,
        encodeStats: (target, input, resid, output, stats, tokens) =>
          deferEncode(target, tokens, { kind: 'stats' }, [input, output, resid, stats]),
        encodeNorm: (target, input, stats, gammaBeta, xn, output, tokens) =>
          deferEncode(target, tokens, { kind: 'norm', eps: defer.eps }, [input, output, stats, gammaBeta, xn]),
      }
    : undefined;

  const linear = linearObject({
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
  if (!deferCache) return linear;
  const destroy = linear.destroy;
  return Object.assign(linear, {
    deferLn,
    destroy() {
      destroy();
      deferCache.destroy();
    },
  });
}
