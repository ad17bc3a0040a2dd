// The int8 model's integer attention on subgroup matrices (attention-int8-matrix.wgsl: Q.K^T and
// P.V on the tensor cores; the same integers as attention-int8.ts's dot4 kernel and core/quant
// int-attention.ts) where the device has i8 subgroup matrices (int8-linear.ts hasInt8Matrix):
// the f32 attention kernels' bindings, one workgroup per (head, sequence) with a subgroup per 16
// queries (up to MAX_SUBGROUPS, as many as fit the workgroup memory), so each sequence's K and V
// are quantized once a head; longer sequences take several workgroups (each quantizes K and V
// again). Slower than the f32 attention on the H200 (BENCHMARKS.md int8 session 9): an option.
import matrixWgsl from './attention-int8-matrix.wgsl?raw';
import commonWgsl from './attention-int8-common.wgsl?raw';
import int8ScaleWgsl from '../kernels/int8-scale.wgsl?raw';
import { hasInt8Matrix } from '../kernels/int8-linear';
import type { GpuCapabilities } from '../adapter';
import { compilePipeline, withConsts } from '../kernel';
import { attentionLayout } from './attention-tiled';
import { expandWgsl } from '../kernels/wgsl-template';
import { thresholdTable } from './attention-int8';
import type { AttentionKernel, QkvLayout } from './attention';

const HEADER = [
  'enable chromium_experimental_subgroup_matrix;',
  'enable subgroups;',
  'diagnostic(off, chromium.subgroup_matrix_uniformity);',
].join('\n');

/** Subgroups a workgroup at most (16 queries each). */
const MAX_SUBGROUPS = 8;
/** Words added to the strips' row strides by default: rows 36 words apart start on different banks
 *  (H200, B=32 L=128: 0.094 ms a layer vs 0.104 unpadded, BENCHMARKS.md int8 session 9). */
const STRIP_PAD = 4;

interface Shape {
  d: number;
  /** Codes of a Q / K / V row (the head size + 1, rounded up to 32). */
  dp: number;
  /** V's result fragments of 16 channels (channel d: Σ P). */
  nf: number;
  lmax: number;
  sg: number;
}

function shapeOf(caps: GpuCapabilities, hidden: number, heads: number, maxSeq: number): Shape | null {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0) return null;
  const sg = caps.subgroupMaxSize;
  if (!sg || caps.subgroupMinSize !== sg || 128 % sg !== 0) return null;
  const d = hidden / heads;
  return {
    d,
    dp: Math.ceil((d + 1) / 32) * 32,
    nf: Math.ceil((d + 1) / 16),
    lmax: Math.max(32, Math.ceil(maxSeq / 32) * 32),
    sg,
  };
}

/** Words of a subgroup's strip: 16 rows of S (32 + pad apart) or of the results (NF x 16 + pad). */
function stripWords(s: Shape, pad: number): number {
  return 16 * Math.max(32 + pad, 16 * s.nf + pad);
}

/** Workgroup bytes with nsg subgroups (sm: K, V and Q codes, P tiles, strips; live, kmax, vmax,
 *  vsc, qmax, rowc, rowm, thresholds). */
function storageBytes(s: Shape, nsg: number, pad: number): number {
  const dw = s.dp / 4;
  const qn = 16 * nsg;
  const sm = 2 * s.lmax * dw + qn * dw + nsg * (128 + stripWords(s, pad));
  return 4 * (sm + s.lmax + 1 + s.d + 2 * s.d + 4 * qn + 128);
}

/** The most subgroups a workgroup can have on this device (0: the kernel does not fit). */
function maxSubgroups(device: GPUDevice, s: Shape, most = MAX_SUBGROUPS, pad = STRIP_PAD): number {
  for (let n = most; n >= 1; n /= 2)
    if (storageBytes(s, n, pad) <= device.limits.maxComputeWorkgroupStorageSize && n * s.sg <= 256) return n;
  return 0;
}

/** Whether the tensor-core int8 attention runs this model's heads, sequences of maxSeq, here. */
export function int8MatrixAttentionOn(
  device: GPUDevice,
  caps: GpuCapabilities,
  hidden: number,
  heads: number,
  maxSeq: number,
): boolean {
  const s = shapeOf(caps, hidden, heads, maxSeq);
  return hasInt8Matrix(device, caps) && s !== null && maxSubgroups(device, s) > 0;
}

/** Subgroups a workgroup (enough for the sequence's 16-query tiles, at most maxNsg) and
 *  workgroups a (sequence, head). */
export function int8MatrixAttentionGrid(seq: number, maxNsg: number) {
  const tiles = Math.ceil(seq / 16);
  let nsg = 1;
  while (nsg < tiles && nsg < maxNsg) nsg *= 2;
  return { nsg, groups: Math.ceil(tiles / nsg) };
}

/** Measurement knobs (bench attention's 'int8-matrix-g4', '-u1', '~ranges' ...): the most
 *  subgroups a workgroup, items written out at a time, ABL bits (attention-int8-matrix.wgsl: stages
 *  left out, wrong results). */
export interface Int8MatrixAttentionTuning {
  maxSubgroups?: number;
  unroll?: number;
  ablate?: number;
  /** Words added to the strips' row strides (default STRIP_PAD; 0: rows 32 words apart). */
  pad?: number;
  /** No exp for scores below the first softmax threshold (code 0 without it). */
  expSkip?: boolean;
}

/** Stages the tuned variants can leave out (ABL bits; 'dump': each row's own numbers in channels 0-5,
 *  see attention-int8-matrix.wgsl). */
export const INT8_MATRIX_ABLATIONS = { ranges: 1, codes: 2, pass1: 4, softmax: 8, dump: 16 } as const;

/** 'int8-matrix' with optional '-g<N>' (subgroups), '-u<N>' (unroll), '-p<N>' (strip padding),
 *  '-e1' (exp skipped below the first threshold) and '~stage+stage' (ablations). */
export function parseInt8MatrixVariant(name: string): Int8MatrixAttentionTuning | null {
  const m = /^int8-matrix((?:-[gupe]\d+)*)(?:~([a-z0-9+]+))?$/.exec(name);
  if (!m) return null;
  const tune: Int8MatrixAttentionTuning = {};
  for (const [, k, n] of m[1].matchAll(/-([gupe])(\d+)/g))
    if (k === 'g') tune.maxSubgroups = Number(n);
    else if (k === 'u') tune.unroll = Number(n);
    else if (k === 'p') tune.pad = Number(n);
    else tune.expSkip = n === '1';
  for (const a of m[2]?.split('+') ?? []) {
    const bit = INT8_MATRIX_ABLATIONS[a as keyof typeof INT8_MATRIX_ABLATIONS];
    if (!bit) return null;
    tune.ablate = (tune.ablate ?? 0) | bit;
  }
  return tune;
}

export function createInt8MatrixAttentionKernel(
  device: GPUDevice,
  caps: GpuCapabilities,
  hidden: number,
  heads: number,
  qkv: QkvLayout,
  maxSeq: number,
  tune: Int8MatrixAttentionTuning = {},
): AttentionKernel {
  const s = shapeOf(caps, hidden, heads, maxSeq);
  if (!s || !hasInt8Matrix(device, caps))
    throw new RangeError(
      'the tensor-core int8 attention needs i8 subgroup matrices (chromium-experimental-subgroup-matrix) ' +
        'and subgroups of one size',
    );
  const pad = tune.pad ?? STRIP_PAD;
  const maxNsg = maxSubgroups(device, s, tune.maxSubgroups, pad);
  if (!maxNsg)
    throw new RangeError(
      `the tensor-core int8 attention holds a sequence's keys in workgroup memory: ${maxSeq} tokens need ` +
        `${storageBytes(s, 1, pad)} bytes, this device has ${device.limits.maxComputeWorkgroupStorageSize}`,
    );
  const layout = attentionLayout(device);
  const dw = s.dp / 4;
  const iu = Math.min(tune.unroll ?? 4, 128 / s.sg);
  const template = { KS: s.dp / 32, NF: s.nf, IU: iu };
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (nsg: number) => {
    let p = pipelines.get(nsg);
    if (!p) {
      const consts = {
        H: hidden,
        D: s.d,
        DP: s.dp,
        DW: dw,
        KS: s.dp / 32,
        NF: s.nf,
        SG: s.sg,
        NSG: nsg,
        ITEMS: 128 / s.sg,
        IU: iu,
        ABL: tune.ablate ?? 0,
        XSKIP: tune.expSkip ? 1 : 0,
        LMAX: s.lmax,
        SS: 32 + pad,
        SO: 16 * s.nf + pad,
        STRIPW: stripWords(s, pad),
        STRIDE: qkv.stride,
        QO: qkv.q,
        KO: qkv.k,
        VO: qkv.v,
      };
      const code = withConsts(consts, thresholdTable(), int8ScaleWgsl, commonWgsl, expandWgsl(matrixWgsl, template));
      const knobs = `u${iu} p${pad} a${tune.ablate ?? 0}${tune.expSkip ? ' e' : ''}`;
      const label = `encoder.attention int8-matrix l${s.lmax} g${nsg} ${knobs}`;
      p = compilePipeline(device, layout, label, `${HEADER}\n${code}`);
      pipelines.set(nsg, p);
    }
    return p;
  };
  return {
    layout,
    variant: 'int8-matrix',
    queriesPerGroup: (_batch, seq) => 16 * int8MatrixAttentionGrid(seq, maxNsg).nsg,
    encode(pass, bindGroup, batch, seq) {
      if (seq > s.lmax) throw new RangeError(`the int8 attention was made for ${s.lmax} tokens a sequence, got ${seq}`);
      const g = int8MatrixAttentionGrid(seq, maxNsg);
      pass.setPipeline(pipelineFor(g.nsg));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(heads, batch, g.groups);
    },
  };
}
