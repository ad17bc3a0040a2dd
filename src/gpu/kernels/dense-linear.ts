// Runner of dense-linear.wgsl: uploads W and b once, picks a register-tile config per token
// count (largest tile that still fills the GPU), encodes into the caller's pass or encoder.
import denseWgsl from './dense-linear.wgsl?raw';
import { checkStorageBinding } from '../limits';
import type { GpuCapabilities } from '../adapter';
import { BindingCache, asBinding, cachedPipeline, weightQuadValues, checkIo, checkTokens, kernelLayout, runDispatch, uploadBuffer, type BufferArg, type EncodeTarget, type KernelDispatch } from './linear-common';
import type { DenseLinearOptions, GpuLinear } from './index';
import { packF16Pairs } from '../../core/formats/f16';
import { SUBGROUP_MAX_TOKENS, SUBGROUP_TILE, denseSubgroupDispatch, deviceHasSubgroups } from './subgroup-variant';
import { denseTileStorage, denseTilesFor, pickDenseTile, type DenseTileConfig } from './dense-tiles';

export { DENSE_TILES, denseTileStorage, denseTilesFor, pickDenseTile, type DenseTileConfig } from './dense-tiles';

export function createDenseLinearImpl(device: GPUDevice, caps: GpuCapabilities, opts: DenseLinearOptions): GpuLinear {
  const tiles = denseTilesFor(caps);
  const { in: nIn, out: nOut, weight } = opts;
  const maxTokens = opts.tokens;
  const label = opts.label ?? `dense ${nOut}x${nIn}`;
  if (![nIn, nOut].every((v) => Number.isInteger(v) && v > 0)) throw new RangeError(`${label}: in and out must be positive integers`);
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (weight.length !== nIn * nOut) throw new RangeError(`${label}: weight has ${weight.length} values, expected out*in = ${nOut * nIn}`);
  if (opts.bias && opts.bias.length !== nOut) throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
  const limits = device.limits;
  checkStorageBinding(limits, `${label} weight`, nIn * nOut * 4);
  checkStorageBinding(limits, `${label} input (${maxTokens} tokens)`, maxTokens * nIn * 4);
  checkStorageBinding(limits, `${label} output (${maxTokens} tokens)`, maxTokens * nOut * 4);

  const vec = nIn % 4 === 0;
  const f16 = opts.weights === 'f16';
  if (f16 && !vec) throw new RangeError(`${label}: f16 weights are read four at a time and need in % 4 == 0, got in = ${nIn}`);
  const layout = kernelLayout(device, 'dense-linear', 4);
  const wBuf = uploadBuffer(device, f16 ? packF16Pairs(weight) : weight, `${label} W${f16 ? ' f16' : ''}`);
  const bBuf = uploadBuffer(device, opts.bias ?? new Float32Array(nOut), `${label} b`);
  const cache = new BindingCache(device, label, [nIn, nOut, 0]);

  function pipelineFor(c: DenseTileConfig): GPUComputePipeline {
    const bm = c.wy * 4 * c.rm;
    const bn = c.wx * 4 * c.rn;
    const threads = c.wx * c.wy;
    const per = vec ? 4 : 1;
    return cachedPipeline(device, layout, denseWgsl, {
      WX: c.wx, WY: c.wy, RM: c.rm, RN: c.rn, BK: c.bk, BM: bm, BN: bn,
      A_LOADS: Math.ceil((bm * c.bk) / per / threads),
      B_LOADS: Math.ceil((bn * c.bk) / per / threads),
      VEC: vec, BIAS: true, GELU: Boolean(opts.gelu), ...weightQuadValues(f16),
    }, `dense-linear ${c.name}${vec ? ' vec4' : ''}${opts.gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}`);
  }

  // The subgroup variant reads vec4 rows, so it needs in % 4 == 0 as well as the feature.
  const subgroups = vec && deviceHasSubgroups(device);
  function useSubgroup(tokens: number): boolean {
    if (opts.tile === SUBGROUP_TILE) {
      if (!subgroups) throw new RangeError(`${label}: the '${SUBGROUP_TILE}' variant needs the 'subgroups' device feature and in % 4 == 0`);
      return true;
    }
    const max = nOut <= nIn ? SUBGROUP_MAX_TOKENS.denseNarrow : SUBGROUP_MAX_TOKENS.dense;
    return !opts.tile && subgroups && tokens <= max;
  }

  function dispatchFor(tokens: number): KernelDispatch {
    if (useSubgroup(tokens)) return denseSubgroupDispatch(device, layout, nOut, tokens, Boolean(opts.gelu), f16);
    const c = pickDenseTile(limits, tokens, nOut, opts.tile, tiles);
    return {
      pipeline: pipelineFor(c),
      workgroup: { x: c.wx, y: c.wy, storageBytes: denseTileStorage(c) },
      grid: { x: Math.ceil(nOut / (c.wx * 4 * c.rn)), y: Math.ceil(tokens / (c.wy * 4 * c.rm)) },
    };
  }

  let destroyed = false;
  return {
    kind: 'dense',
    in: nIn,
    out: nOut,
    maxTokens,
    weightBytes: wBuf.size + bBuf.size,
    flops: (tokens = maxTokens) => 2 * tokens * nIn * nOut,
    tileFor: (tokens = maxTokens) => (useSubgroup(tokens) ? SUBGROUP_TILE : pickDenseTile(limits, tokens, nOut, opts.tile, tiles).name),
    encode(target: EncodeTarget, input: BufferArg, output: BufferArg, tokens = maxTokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      const x = asBinding(input);
      const y = asBinding(output);
      checkIo(label, x, y, tokens, nIn, nOut);
      const group = cache.bindGroup(layout.group, tokens, [x, { buffer: wBuf }, { buffer: bBuf }, y]);
      runDispatch(target, limits, label, dispatchFor(tokens), group);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      wBuf.destroy();
      bBuf.destroy();
      cache.destroy();
    },
  };
}
