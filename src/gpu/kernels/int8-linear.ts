// Runner of the int8 linears: int8-linear.wgsl (core WGSL, dot4I8Packed: four int8 products per
// instruction, every adapter) and int8-matrix.wgsl (subgroup matrices: tensor cores, dense
// only, where the device has the i8 x i8 -> i32 16x16x32 configuration). Both read activation
// codes from int8-quantize.ts and give the CPU int8 reference's outputs (core/quant) bit for bit.
import int8Wgsl from './int8-linear.wgsl?raw';
import int8MatrixWgsl from './int8-matrix.wgsl?raw';
import { SUBGROUP_MATRIX_FEATURE, type GpuCapabilities } from '../adapter';
import { checkBufferArg, checkStorageBinding } from '../limits';
import {
  BindingCache,
  asBinding,
  cachedPipeline,
  checkTokens,
  kernelLayout,
  runDispatch,
  uploadBuffer,
  type BufferArg,
  type EncodeTarget,
  type KernelDispatch,
} from './linear-common';
import { tileGrid, type HPCodes, type HPMatrix } from '../../core/formats/hp';
import { hpInt8Layout, packInt8Rows, type QuantizedRows } from '../../core/quant';

export type Int8Weights = { kind: 'dense'; weight: QuantizedRows } | { kind: 'hp'; hp: HPMatrix; quant: HPCodes };

/** The subgroup-matrix variant's name, and how its loads count offsets and strides. */
export const INT8_MATRIX = 'matrix';
export interface MatrixUnits {
  /** 1: offsets in i8 components (Dawn's description); 4: in i32 array elements. */
  offDiv: 1 | 4;
  strideDiv: 1 | 4;
}
export const MATRIX_UNIT_CHOICES: readonly MatrixUnits[] = [
  { offDiv: 1, strideDiv: 1 },
  { offDiv: 4, strideDiv: 4 },
  { offDiv: 4, strideDiv: 1 },
  { offDiv: 1, strideDiv: 4 },
];

export const INT8_VARIANTS: readonly string[] = ['dot4-64', 'dot4-128', INT8_MATRIX];

export interface Int8LinearOptions {
  tokens: number;
  bias?: Float32Array;
  gelu?: boolean;
  label?: string;
  /** 'dot4-64' / 'dot4-128' (core WGSL, dense tile sides), 'matrix' (subgroup matrices), or
   *  automatic (undefined). HP always runs its dot4 kernel. */
  variant?: string;
  matrixUnits?: MatrixUnits;
}

export interface GpuInt8Linear {
  readonly kind: 'dense' | 'hp';
  readonly in: number;
  readonly out: number;
  /** Words of one packed activation row (what int8-quantize writes per token). */
  readonly inWords: number;
  readonly maxTokens: number;
  /** Integer multiply-adds x 2 the kernel performs (HP: stored values incl. padding). */
  ops(tokens?: number): number;
  variantFor(tokens?: number): string;
  /** y = epilogue(xq · Wᵀ): xq tokens x inWords packed codes, xs one f32 scale per token. */
  encode(target: EncodeTarget, xq: BufferArg, xs: BufferArg, y: BufferArg, tokens?: number): void;
  destroy(): void;
}

/** i8 x i8 -> i32 at 16 x 16 x 32 among the adapter's subgroup-matrix configurations (a binding
 *  that does not report them gets the benefit of the doubt: pipeline creation, then the bit-exact
 *  check, decide). */
export function hasInt8Matrix(device: GPUDevice, caps: GpuCapabilities): boolean {
  if (!device.features.has(SUBGROUP_MATRIX_FEATURE as GPUFeatureName)) return false;
  const configs = caps.subgroupMatrixConfigs;
  return (
    !configs ||
    configs.some(
      (c) => c.componentType === 'i8' && c.resultComponentType === 'i32' && c.M === 16 && c.N === 16 && c.K === 32,
    )
  );
}

const MATRIX_BLOCK = { sm: 4, sn: 4 };

function hpWorkgroupX(tr: number): number {
  for (let d = Math.min(16, tr); d >= 1; d--) if (tr % d === 0) return d;
  return 1;
}

export function createInt8Linear(
  device: GPUDevice,
  caps: GpuCapabilities,
  weights: Int8Weights,
  opts: Int8LinearOptions,
): GpuInt8Linear {
  const hp = weights.kind === 'hp' ? weights.hp : undefined;
  const nIn = hp ? hp.in : weights.kind === 'dense' ? weights.weight.cols : 0;
  const nOut = hp ? hp.out : weights.kind === 'dense' ? weights.weight.rows : 0;
  const label = opts.label ?? `int8 ${weights.kind} ${nOut}x${nIn}`;
  const maxTokens = opts.tokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (opts.bias && opts.bias.length !== nOut)
    throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
  const xw = Math.ceil(nIn / 4);
  let wWords: Uint32Array;
  let scales: Float32Array;
  let cols: Uint32Array = new Uint32Array(4);
  let kw = xw;
  if (weights.kind === 'dense') {
    const w = weights.weight;
    if (w.bits !== 8) throw new RangeError(`${label}: int8 codes needed, got int${w.bits}`);
    wWords = packInt8Rows(w.q as Int8Array, nOut, nIn);
    scales = w.scales;
  } else {
    const layout = hpInt8Layout(weights.hp, weights.quant);
    wWords = layout.words;
    cols = layout.cols;
    kw = layout.qp / 4;
    scales = weights.quant.scales;
  }
  const limits = device.limits;
  checkStorageBinding(limits, `${label} weight codes`, wWords.byteLength);
  checkStorageBinding(limits, `${label} input codes (${maxTokens} tokens)`, maxTokens * xw * 4);
  checkStorageBinding(limits, `${label} output (${maxTokens} tokens)`, maxTokens * nOut * 4);
  const layout = kernelLayout(device, 'int8-linear', 7);
  const bufs = [
    uploadBuffer(device, wWords, `${label} W codes`),
    uploadBuffer(device, scales, `${label} W scales`),
    uploadBuffer(device, opts.bias ?? new Float32Array(nOut), `${label} b`),
    uploadBuffer(device, cols, `${label} kept columns`),
  ];
  const cache = new BindingCache(device, label, [nOut, xw, kw]);
  const gelu = Boolean(opts.gelu);
  const tr = hp?.tr ?? 0;
  const matrixOk =
    weights.kind === 'dense' && hasInt8Matrix(device, caps) && nIn % 32 === 0 && nOut % (16 * MATRIX_BLOCK.sn) === 0;
  const lanes = caps.subgroupMaxSize ?? 32;

  function dot4(tokens: number): KernelDispatch & { name: string } {
    let wx: number, tn: number, wy: number, tm: number, name: string;
    if (hp) {
      wx = hpWorkgroupX(tr);
      tn = tr / wx;
      wy = 16;
      tm = tokens >= 2048 ? 4 : 2;
      name = `dot4-hp-${tm}`;
    } else {
      const large =
        opts.variant === 'dot4-128' ||
        (opts.variant !== 'dot4-64' && Math.ceil(tokens / 128) * Math.ceil(nOut / 128) >= 256);
      wx = 16;
      wy = 16;
      tm = large ? 8 : 4;
      tn = tm;
      name = large ? 'dot4-128' : 'dot4-64';
    }
    const bk = 16;
    const pipeline = cachedPipeline(
      device,
      layout,
      int8Wgsl,
      { WX: wx, WY: wy, TM: tm, TN: tn, BK: bk, HP: Boolean(hp), BIAS: true, GELU: gelu },
      `int8-linear ${name}${gelu ? ' gelu' : ''}`,
    );
    const grid = { x: hp ? tileGrid(hp).tileRows : Math.ceil(nOut / (wx * tn)), y: Math.ceil(tokens / (wy * tm)) };
    return { name, pipeline, workgroup: { x: wx, y: wy, storageBytes: bk * (wy * tm + wx * tn) * 4 }, grid };
  }

  function matrix(tokens: number): KernelDispatch & { name: string } {
    const u = opts.matrixUnits ?? MATRIX_UNIT_CHOICES[0];
    const { sm, sn } = MATRIX_BLOCK;
    const pipeline = cachedPipeline(
      device,
      layout,
      int8MatrixWgsl,
      { LANES: lanes, SM: sm, SN: sn, OFF_DIV: u.offDiv, STRIDE_DIV: u.strideDiv, BIAS: true, GELU: gelu },
      `int8-matrix ${u.offDiv}/${u.strideDiv}${gelu ? ' gelu' : ''}`,
    );
    return {
      name: INT8_MATRIX,
      pipeline,
      workgroup: { x: lanes, y: 1, storageBytes: 1024 },
      grid: { x: nOut / (16 * sn), y: tokens / (16 * sm) },
    };
  }

  function useMatrix(tokens: number): boolean {
    const fits = matrixOk && tokens % (16 * MATRIX_BLOCK.sm) === 0;
    if (opts.variant === INT8_MATRIX) {
      if (!fits)
        throw new RangeError(
          `${label}: the '${INT8_MATRIX}' variant needs the i8 subgroup-matrix configuration ` +
            `(chromium-experimental-subgroup-matrix), dense weights, in % 32 == 0, ` +
            `out % ${16 * MATRIX_BLOCK.sn} == 0 and tokens % ${16 * MATRIX_BLOCK.sm} == 0`,
        );
      return true;
    }
    if (opts.variant !== undefined && !INT8_VARIANTS.includes(opts.variant))
      throw new RangeError(`${label}: unknown variant '${opts.variant}' (${INT8_VARIANTS.join(', ')})`);
    return opts.variant === undefined && fits;
  }

  const dispatchFor = (tokens: number) => (useMatrix(tokens) ? matrix(tokens) : dot4(tokens));
  let destroyed = false;
  return {
    kind: weights.kind,
    in: nIn,
    out: nOut,
    inWords: xw,
    maxTokens,
    ops: (tokens = maxTokens) => 2 * tokens * (hp ? tileGrid(hp).tileRows * tr * hp.m * hp.k : nIn * nOut),
    variantFor: (tokens = maxTokens) => dispatchFor(tokens).name,
    encode(target, xq, xs, y, tokens = maxTokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      const [xb, sb, yb] = [asBinding(xq), asBinding(xs), asBinding(y)];
      checkBufferArg(`${label} input codes`, xb, tokens * xw * 4);
      checkBufferArg(`${label} input scales`, sb, tokens * 4);
      checkBufferArg(`${label} output`, yb, tokens * nOut * 4);
      const group = cache.bindGroup(layout.group, tokens, [
        xb,
        sb,
        { buffer: bufs[0] },
        { buffer: bufs[1] },
        { buffer: bufs[2] },
        { buffer: bufs[3] },
        yb,
      ]);
      runDispatch(target, limits, label, dispatchFor(tokens), group);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const b of bufs) b.destroy();
      cache.destroy();
    },
  };
}

/** One line for the GPU panel: whether the int8 kernels can reach the tensor cores here, and
 *  how to turn that on. */
export function describeInt8Path(caps: GpuCapabilities): string {
  const i8 = (caps.subgroupMatrixConfigs ?? []).filter((c) => c.componentType === 'i8');
  if (i8.length)
    return (
      `tensor-core path on: subgroup matrices ` +
      `${i8.map((c) => `i8 x i8 -> ${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join(', ')} ` +
      `(the int8 dense kernel's 'matrix' variant)`
    );
  const why = caps.features.includes(SUBGROUP_MATRIX_FEATURE)
    ? 'subgroup matrices without an i8 configuration'
    : 'no subgroup matrices';
  return (
    `tensor-core path off (${why}): int8 runs on dot4I8Packed, four int8 products per instruction. ` +
    'Chromium offers subgroup matrices (chromium-experimental-subgroup-matrix) with ' +
    'chrome://flags/#enable-unsafe-webgpu or --enable-unsafe-webgpu; the CLI with HP_LAB_UNSAFE_APIS=1.'
  );
}
