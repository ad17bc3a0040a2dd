// Runner of the fused linear + bias + residual + LayerNorm kernels: x = LayerNorm(a · Wᵀ + b + x)
// in one dispatch instead of a linear and an add-layernorm dispatch (and the [tokens, H] round
// trip between them), W dense (linear-addln-dense.wgsl) or HP-sparse (linear-addln-hp.wgsl).
// Tokens per workgroup are chosen per call: the most that still give enough workgroups to fill
// a large GPU and fit its workgroup memory.
import sharedWgsl from './linear-addln.wgsl?raw';
import denseWgsl from './linear-addln-dense.wgsl?raw';
import hpWgsl from './linear-addln-hp.wgsl?raw';
import { keptColumnIndices, validateShape, type HPMatrix } from '../../core/formats/hp';
import {
  bindingLayout,
  bindBuffers,
  compilePipeline,
  rowGrid,
  runDispatch,
  uploadBuffer,
  withConsts,
  type KernelLayout,
} from '../kernel';

export type LinearAddLnWeights =
  /** Row-major [hidden, in], as Linear.weight. */
  { kind: 'dense'; weight: Float32Array } | { kind: 'hp'; hp: HPMatrix };

export interface LinearAddLnOptions {
  /** Output width (the hidden size) and input width. */
  hidden: number;
  in: number;
  w: LinearAddLnWeights;
  bias?: Float32Array;
  /** gamma (hidden) then beta (hidden). */
  gammaBeta: Float32Array;
  label?: string;
}

export interface LinearAddLn {
  readonly layout: KernelLayout;
  readonly weightBytes: number;
  /** Tokens per workgroup a call with `tokens` rows uses (reports, tests). */
  rowsPerGroup(tokens: number): number;
  /** Bind group for params {tokens, -, eps} (16-byte uniform), input a [tokens, in], x [tokens, hidden]. */
  bind(params: GPUBuffer, a: GPUBuffer, x: GPUBuffer): GPUBindGroup;
  encode(pass: GPUComputePassEncoder, group: GPUBindGroup, tokens: number): void;
  destroy(): void;
}

/** Enough workgroups to keep a large GPU busy before giving each more rows. */
const MIN_GROUPS = 264;
const ROW_TILES = [8, 4, 2, 1];

export function createLinearAddLn(device: GPUDevice, opts: LinearAddLnOptions): LinearAddLn {
  const { hidden: h, in: k, w } = opts;
  const label = opts.label ?? `linear-addln ${w.kind} ${h}x${k}`;
  if (!Number.isInteger(h) || !Number.isInteger(k) || h < 1 || k < 1)
    throw new RangeError(`${label}: hidden and in must be positive integers`);
  if (opts.bias && opts.bias.length !== h)
    throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${h}`);
  if (opts.gammaBeta.length !== 2 * h)
    throw new RangeError(`${label}: gamma/beta has ${opts.gammaBeta.length} values, expected ${2 * h}`);
  const limits = device.limits;
  const wg = Math.min(
    128,
    2 ** Math.floor(Math.log2(Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX))),
  );
  const per = Math.ceil(h / wg);
  const bk4 = Math.max(1, Math.min(16, Math.ceil(k / 4)));
  // Workgroup memory: the inputs (a chunk of them, or all for HP) and the reduction rows.
  const storage = (tm: number) => (w.kind === 'dense' ? tm * bk4 * 4 : tm * k) * 4 + tm * wg * 4;
  const tiles = ROW_TILES.filter((tm) => storage(tm) <= limits.maxComputeWorkgroupStorageSize);
  if (tiles.length === 0) throw new RangeError(`${label}: ${k} inputs a row do not fit this device's workgroup memory`);

  let weightBufs: GPUBuffer[];
  let consts: Record<string, number>;
  let body: string;
  if (w.kind === 'dense') {
    if (w.weight.length !== h * k)
      throw new RangeError(`${label}: weight has ${w.weight.length} values, expected ${h * k}`);
    const wt = new Float32Array(h * k);
    for (let o = 0; o < h; o++) for (let i = 0; i < k; i++) wt[i * h + o] = w.weight[o * k + i];
    weightBufs = [uploadBuffer(device, wt, `${label} Wt`)];
    consts = { BK4: bk4 };
    body = denseWgsl;
  } else {
    const hp = w.hp;
    validateShape(hp);
    if (hp.out !== h || hp.in !== k)
      throw new RangeError(`${label}: HP matrix is ${hp.out}x${hp.in}, expected ${h}x${k}`);
    const mk = hp.m * hp.k;
    const cols = keptColumnIndices(hp);
    weightBufs = [uploadBuffer(device, cols, `${label} cols`), uploadBuffer(device, hp.values, `${label} values`)];
    consts = { TR: hp.tr, MK: mk };
    body = hpWgsl;
  }
  const bBuf = uploadBuffer(device, opts.bias ?? new Float32Array(h), `${label} b`);
  const gBuf = uploadBuffer(device, opts.gammaBeta, `${label} ln`);
  const layout = bindingLayout(device, `encoder.linear-addln.${w.kind}`, [
    'uniform',
    'read',
    'read',
    'read',
    'write',
    ...weightBufs.map(() => 'read' as const),
  ]);
  // One pipeline per rows-per-workgroup, looked up by number (not rebuilt from source per encode).
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (tm: number) => {
    let pipeline = pipelines.get(tm);
    if (!pipeline) {
      const code = withConsts({ H: h, K: k, TM: tm, WG: wg, PER: per, ...consts }, sharedWgsl, body);
      pipelines.set(tm, (pipeline = compilePipeline(device, layout, `${label} tm=${tm}`, code)));
    }
    return pipeline;
  };
  const rowsPerGroup = (tokens: number) =>
    tiles.find((tm) => Math.ceil(tokens / tm) >= MIN_GROUPS) ?? tiles[tiles.length - 1];
  return {
    layout,
    weightBytes: [...weightBufs, bBuf, gBuf].reduce((n, b) => n + b.size, 0),
    rowsPerGroup,
    bind: (params, a, x) => bindBuffers(device, layout, label, [params, a, bBuf, gBuf, x, ...weightBufs]),
    encode(pass, group, tokens) {
      const tm = rowsPerGroup(tokens);
      const [gx, gy] = rowGrid(Math.ceil(tokens / tm), limits.maxComputeWorkgroupsPerDimension);
      runDispatch(
        pass,
        limits,
        label,
        { pipeline: pipelineFor(tm), workgroup: { x: wg, y: 1, storageBytes: storage(tm) }, grid: { x: gx, y: gy } },
        group,
      );
    },
    destroy() {
      for (const b of [...weightBufs, bBuf, gBuf]) b.destroy();
    },
  };
}
