// The few-token variants of the linear kernels (dense-subgroup.wgsl, hp-subgroup.wgsl): one
// subgroup per TT tokens x 4 outputs, lanes splitting the reduction, subgroupAdd at the end.
// Used only when the device was created with the 'subgroups' feature, and only for token
// counts where the tiled kernels' 64-256 token blocks cannot fill the GPU (one sentence, the
// pooler's one token per sentence): variant-rule.ts decides when.
import denseSubgroupWgsl from './dense-subgroup.wgsl?raw';
import hpSubgroupWgsl from './hp-subgroup.wgsl?raw';
import hpFormatWgsl from './hp-format.wgsl?raw';
import subgroupCommonWgsl from './subgroup-common.wgsl?raw';
import { cachedPipeline, weightQuadValues, type KernelDispatch, type KernelLayout } from './linear-common';

/** Invocations per workgroup; output quads per workgroup (dense: 8; HP: 4, one per subgroup of
 *  32, as HP's few-token work is latency-bound and wants more subgroups in flight); kept
 *  columns per lane per trip in the HP loop. */
const WG = 128;
const DENSE_QUADS = 8;
const HP_QUADS = 4;
const HP_UNROLL = 4;

export function deviceHasSubgroups(device: GPUDevice): boolean {
  return device.features.has('subgroups' as GPUFeatureName);
}

/** Tokens per subgroup task: the smallest power of two covering `tokens`, at most 8. */
export function subgroupTokenBlock(tokens: number): number {
  let tt = 1;
  while (tt < Math.min(tokens, 8)) tt *= 2;
  return tt;
}

function dispatchFor(
  pipeline: GPUComputePipeline,
  quads: number,
  outputs: number,
  tokens: number,
  tt: number,
): KernelDispatch {
  return {
    pipeline,
    grid: { x: Math.ceil(outputs / (4 * quads)), y: Math.ceil(tokens / tt) },
    workgroup: { x: WG, y: 1, storageBytes: 4 },
  };
}

export function denseSubgroupDispatch(
  device: GPUDevice,
  layout: KernelLayout,
  nOut: number,
  tokens: number,
  gelu: boolean,
  f16: boolean,
): KernelDispatch {
  const tt = subgroupTokenBlock(tokens);
  const pipeline = cachedPipeline(
    device,
    layout,
    denseSubgroupWgsl,
    { WG, QUADS: DENSE_QUADS, TT: tt, BIAS: true, GELU: gelu, ...weightQuadValues(f16) },
    `dense-linear subgroup tt${tt}${gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}`,
    subgroupCommonWgsl,
  );
  return dispatchFor(pipeline, DENSE_QUADS, nOut, tokens, tt);
}

/** HP: quads are numbered across tile-rows (Tr / 4 per tile-row), so outputs = tileRows * Tr. */
export function hpSubgroupDispatch(
  device: GPUDevice,
  layout: KernelLayout,
  tr: number,
  tileRows: number,
  tokens: number,
  gelu: boolean,
  f16: boolean,
): KernelDispatch {
  const tt = subgroupTokenBlock(tokens);
  const pipeline = cachedPipeline(
    device,
    layout,
    hpSubgroupWgsl,
    { TR: tr, WG, QUADS: HP_QUADS, TT: tt, QU: HP_UNROLL, BIAS: true, GELU: gelu, ...weightQuadValues(f16) },
    `hp-linear subgroup tr${tr} tt${tt}${gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}`,
    subgroupCommonWgsl + '\n' + hpFormatWgsl,
  );
  return dispatchFor(pipeline, HP_QUADS, tileRows * tr, tokens, tt);
}
