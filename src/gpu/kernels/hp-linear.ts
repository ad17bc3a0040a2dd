// Runner of hp-linear.wgsl: uploads packHPForGPU's buffers once, picks a tile config per token
// count, encodes into the caller's pass or encoder. Pipelines depend only on Tr and the config
// (m, k, in, out are read from the HP header buffer), so all layers of a model share them.
import hpWgsl from './hp-linear.wgsl?raw';
import hpFormatWgsl from './hp-format.wgsl?raw';
import { packHPForGPU, tileGrid, validateShape } from '../../core/formats/hp';
import { checkStorageBinding } from '../limits';
import type { GpuCapabilities } from '../adapter';
import { BindingCache, asBinding, cachedPipeline, weightQuadValues, checkIo, checkTokens, kernelLayout, runDispatch, uploadBuffer, type BufferArg, type EncodeTarget, type KernelDispatch } from './linear-common';
import type { GpuLinear, HPLinearOptions } from './index';
import { HP_SUBGROUP_MIN_KEPT, HP_SUBGROUP_MIN_LANES, SUBGROUP_MAX_TOKENS, SUBGROUP_TILE, deviceHasSubgroups, hpSubgroupDispatch } from './subgroup-variant';

/** Invocations (tr/(4*ro)) x wy; each computes (4*rt) tokens x (4*ro) outputs; kc kept columns per step. */
export interface HPTileConfig {
  name: string;
  rt: number;
  ro: number;
  wy: number;
  kc: number;
}

/** Candidates from the largest token block down (per Tr some are skipped as invalid). */
export const HP_TILES: readonly HPTileConfig[] = [
  { name: 'wide', rt: 2, ro: 2, wy: 32, kc: 8 },
  { name: 'mid', rt: 2, ro: 1, wy: 16, kc: 16 },
  { name: 'tall', rt: 1, ro: 1, wy: 32, kc: 8 },
  { name: 'narrow', rt: 1, ro: 1, wy: 8, kc: 8 },
];

/** As in dense-linear.ts: the largest token block that still yields this many workgroups. With
 *  256 the FFN-in shape (38 tile-rows, 33 kept columns each) got 'wide' blocks, 40 % slower
 *  on the H200 than the 'mid' ones 1024 picks. */
const MIN_WORKGROUPS = 1024;

export interface HPTileGeometry {
  config: HPTileConfig;
  wx: number;
  wy: number;
  threads: number;
  bt: number;
  storageBytes: number;
}

export function hpGeometry(tr: number, c: HPTileConfig): HPTileGeometry | null {
  const wx = tr / (4 * c.ro);
  if (!Number.isInteger(wx) || wx < 1) return null;
  const threads = wx * c.wy;
  const bt = c.wy * 4 * c.rt;
  if (threads % c.kc !== 0 || bt % (threads / c.kc) !== 0) return null;
  // Too few invocations, or too many gathered loads each (unrolled: code size, registers).
  if (threads < 16 || (bt * c.kc) / threads > 16) return null;
  const storageBytes = (c.kc * (bt / 4 + 1) + (c.kc * tr) / 4) * 16;
  return { config: c, wx, wy: c.wy, threads, bt, storageBytes };
}

function fits(limits: GPUSupportedLimits, g: HPTileGeometry): boolean {
  return g.threads <= limits.maxComputeInvocationsPerWorkgroup && g.wx <= limits.maxComputeWorkgroupSizeX && g.wy <= limits.maxComputeWorkgroupSizeY && g.storageBytes <= limits.maxComputeWorkgroupStorageSize;
}

export function pickHPTile(limits: GPUSupportedLimits, tr: number, tokens: number, tileRows: number, forced?: string): HPTileGeometry {
  const usable = HP_TILES.map((c) => hpGeometry(tr, c)).filter((g): g is HPTileGeometry => g !== null && fits(limits, g));
  if (forced) {
    const g = usable.find((u) => u.config.name === forced);
    if (!g) throw new RangeError(`HP tile '${forced}' is unknown or does not fit Tr=${tr} on this device (usable: ${usable.map((u) => u.config.name).join(', ')})`);
    return g;
  }
  if (usable.length === 0) throw new RangeError(`no HP tile config fits Tr=${tr} on this device`);
  for (const g of usable) if (tileRows * Math.ceil(tokens / g.bt) >= MIN_WORKGROUPS) return g;
  return usable[usable.length - 1];
}

export function createHPLinearImpl(device: GPUDevice, caps: GpuCapabilities, opts: HPLinearOptions): GpuLinear {
  const { hp } = opts;
  validateShape(hp);
  const { out: nOut, in: nIn, tr } = hp;
  const maxTokens = opts.tokens;
  const label = opts.label ?? `hp ${nOut}x${nIn} ${hp.tr}x${hp.tc} m=${hp.m} k=${hp.k}`;
  if (tr % 4 !== 0 || tr > 128) throw new RangeError(`${label}: the HP kernel needs Tr a multiple of 4 up to 128 (8, 16, 32, …), got ${tr}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (opts.bias && opts.bias.length !== nOut) throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
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
    return cachedPipeline(device, layout, hpWgsl, {
      TR: tr, WX: g.wx, WY: g.wy, RT: c.rt, RO: c.ro, BT: g.bt, KC: c.kc,
      X_LOADS: (g.bt * c.kc) / g.threads,
      V_LOADS: Math.ceil((c.kc * tr) / 4 / g.threads),
      BIAS: true, GELU: Boolean(opts.gelu), ...weightQuadValues(f16),
    }, `hp-linear tr${tr} ${c.name}${opts.gelu ? ' gelu' : ''}${f16 ? ' f16w' : ''}`, hpFormatWgsl);
  }

  const subgroups = deviceHasSubgroups(device);
  const wideSubgroups = (caps.subgroupMinSize ?? 0) >= HP_SUBGROUP_MIN_LANES;
  function useSubgroup(tokens: number): boolean {
    if (opts.tile === SUBGROUP_TILE) {
      if (!subgroups) throw new RangeError(`${label}: the '${SUBGROUP_TILE}' variant needs the 'subgroups' device feature`);
      return true;
    }
    const max = hp.m * hp.k >= HP_SUBGROUP_MIN_KEPT ? SUBGROUP_MAX_TOKENS.hp : SUBGROUP_MAX_TOKENS.hpFewKept;
    return !opts.tile && subgroups && wideSubgroups && tokens <= max;
  }

  function dispatchFor(tokens: number): KernelDispatch {
    if (useSubgroup(tokens)) return hpSubgroupDispatch(device, layout, tr, tileRows, tokens, Boolean(opts.gelu), f16);
    const g = pickHPTile(limits, tr, tokens, tileRows, opts.tile);
    return { pipeline: pipelineFor(g), workgroup: { x: g.wx, y: g.wy, storageBytes: g.storageBytes }, grid: { x: tileRows, y: Math.ceil(tokens / g.bt) } };
  }

  let destroyed = false;
  return {
    kind: 'hp',
    in: nIn,
    out: nOut,
    maxTokens,
    weightBytes: own.reduce((s, b) => s + b.size, 0) + biasBuf.size,
    flops: (tokens = maxTokens) => 2 * tokens * nnz,
    tileFor: (tokens = maxTokens) => (useSubgroup(tokens) ? SUBGROUP_TILE : pickHPTile(limits, tr, tokens, tileRows, opts.tile).config.name),
    encode(target: EncodeTarget, input: BufferArg, output: BufferArg, tokens = maxTokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      const x = asBinding(input);
      const y = asBinding(output);
      checkIo(label, x, y, tokens, nIn, nOut);
      const group = cache.bindGroup(layout.group, tokens, [...own.map((buffer) => ({ buffer })), x, { buffer: biasBuf }, y]);
      runDispatch(target, limits, label, dispatchFor(tokens), group);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const b of own) b.destroy();
      biasBuf.destroy();
      cache.destroy();
    },
  };
}
