// Runner of hp-linear.wgsl: uploads packHPForGPU's buffers once, asks variant-rule.ts for the
// variant per token count (a token block, or the few-token subgroup variant), encodes into the
// caller's pass or encoder. Pipelines depend only on Tr and the config
// (m, k, in, out are read from the HP header buffer), so all layers of a model share them.
import hpWgsl from './hp-linear.wgsl?raw';
import hpFormatWgsl from './hp-format.wgsl?raw';
import { packHPForGPU, tileGrid, validateShape } from '../../core/formats/hp';
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
import type { GpuLinear, HPLinearOptions } from './linear-types';
import { deviceHasSubgroups, hpSubgroupDispatch } from './subgroup-variant';
import { hpVariant, variantName, type HPTileGeometry, type VariantDevice } from './variant-rule';
import { hpColumns } from './hp-columns';

export function createHPLinearImpl(device: GPUDevice, caps: GpuCapabilities, opts: HPLinearOptions): GpuLinear {
  const { hp } = opts;
  validateShape(hp);
  const { out: nOut, in: nIn, tr } = hp;
  const maxTokens = opts.tokens;
  const label = opts.label ?? `hp ${nOut}x${nIn} ${hp.tr}x${hp.tc} m=${hp.m} k=${hp.k}`;
  if (tr % 4 !== 0 || tr > 128)
    throw new RangeError(`${label}: the HP kernel needs Tr a multiple of 4 up to 128 (8, 16, 32, …), got ${tr}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (opts.bias && opts.bias.length !== nOut)
    throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
  const { tileRows } = tileGrid(hp);
  const f16 = opts.weights === 'f16';
  const packed = packHPForGPU(hp, f16 ? 'f16' : 'f32');
  const limits = device.limits;
  checkStorageBinding(limits, `${label} values`, packed.values.byteLength);
  checkStorageBinding(limits, `${label} input (${maxTokens} tokens)`, maxTokens * nIn * 4);
  checkStorageBinding(limits, `${label} output (${maxTokens} tokens)`, maxTokens * nOut * 4);

  const layout = kernelLayout(device, 'hp-linear', 7);
  const headerBuf = uploadBuffer(device, packed.header, `${label} header`);
  const tileColBuf = uploadBuffer(device, packed.tileCol, `${label} tileCol`);
  const colOffBuf = uploadBuffer(device, packed.colOff, `${label} colOff`);
  const valuesBuf = uploadBuffer(device, packed.values, `${label} values`);
  const biasBuf = uploadBuffer(device, opts.bias ?? new Float32Array(nOut), `${label} b`);
  const own = [headerBuf, tileColBuf, colOffBuf, valuesBuf];
  const cache = new BindingCache(device, label, [0, 0, 0]);
  const nnz = tileRows * hp.m * hp.k * tr; // stored values, padding included

  function pipelineFor(g: HPTileGeometry): GPUComputePipeline {
    const c = g.config;
    return cachedPipeline(
      device,
      layout,
      hpWgsl,
      {
        TR: tr,
        WX: g.wx,
        WY: g.wy,
        RT: c.rt,
        RO: c.ro,
        BT: g.bt,
        KC: c.kc,
        X_LOADS: (g.bt * c.kc) / g.threads,
        V_LOADS: Math.ceil((c.kc * tr) / 4 / g.threads),
        VEC_OUT: nOut % 4 === 0,
        BIAS: true,
        GELU: Boolean(opts.gelu),
        ...weightQuadValues(f16),
      },
      `hp-linear tr${tr} ${c.name}${nOut % 4 ? '' : ' vec4-out'}${opts.gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}`,
      hpFormatWgsl,
    );
  }

  const dev: VariantDevice = { limits, caps, subgroups: deviceHasSubgroups(device) };
  const variant = (tokens: number) => hpVariant(dev, { tr, tileRows, kept: hp.m * hp.k }, tokens, opts.tile, label);

  function dispatchFor(tokens: number): KernelDispatch {
    const v = variant(tokens);
    if (v.kind === 'subgroup') return hpSubgroupDispatch(device, layout, tr, tileRows, tokens, Boolean(opts.gelu), f16);
    const g = v.geometry;
    return {
      pipeline: pipelineFor(g),
      workgroup: { x: g.wx, y: g.wy, storageBytes: g.storageBytes },
      grid: { x: tileRows, y: Math.ceil(tokens / g.bt) },
    };
  }

  const columns =
    nOut % 4 === 0
      ? hpColumns(device, hp, {
          layout,
          own,
          bias: biasBuf,
          gelu: Boolean(opts.gelu),
          f16,
          maxTokens,
          tile: opts.columnTile,
          subgroupSize:
            deviceHasSubgroups(device) && caps.subgroupMinSize && caps.subgroupMinSize === caps.subgroupMaxSize
              ? caps.subgroupMinSize
              : undefined,
          lnTile: opts.lnTile,
          live: opts.live,
          label,
        })
      : undefined;
  const linear = linearObject({
    kind: 'hp',
    label,
    in: nIn,
    out: nOut,
    maxTokens,
    limits,
    layout,
    cache,
    owned: [...own, biasBuf],
    flopsPerToken: 2 * nnz,
    tileFor: (tokens) => variantName(variant(tokens)),
    dispatchFor,
    bindings: (x, y) => [...own.map((buffer) => ({ buffer })), x, { buffer: biasBuf }, y],
  });
  if (!columns) return linear;
  return {
    ...linear,
    weightBytes: linear.weightBytes + columns.weightBytes,
    weights: [...(linear.weights ?? []), ...columns.weights],
    columns,
    destroy() {
      linear.destroy();
      columns.destroy();
    },
  };
}
