// A layer's whole HP feed-forward block in one dispatch (hp-ffn-ln.wgsl): FFN-in + GELU into
// workgroup memory, FFN-out, bias, residual and LayerNorm, where the encoder would run FFN-in on
// columns and then FFN-out fused with its LayerNorm (two dispatches, FFN-in's output written to and
// read back from memory). Only FFN-in's outputs that a kept column of FFN-out reads are kept (at 90
// %, 566-639 of 1200: BENCHMARKS.md, issue 19 twelfth pass), each at a slot of workgroup memory,
// which is what bounds the tokens a workgroup. Needs subgroups of one fixed size (the LayerNorm).
import ffnWgsl from './hp-ffn-ln.wgsl?raw';
import subgroupCommonWgsl from './subgroup-common.wgsl?raw';
import type { HPMatrix } from '../../core/formats/hp';
import { tileGrid } from '../../core/formats/hp';
import { bindingLayout, rowGrid, runDispatch, uploadBuffer, type KernelLayout } from '../kernel';
import { asBinding, cachedPipeline, type KernelDispatch } from './linear-common';
import type { BufferArg } from '../kernel';

const NONE = 0xffffffff;

/** The fused block's tables (hp-ffn-ln.wgsl's idx and consts, W1's values by run row). */
export interface FfnFusedTables {
  /** W1's tile-rows holding an output W2 reads, in order. */
  runRows: number[];
  /** Slots: FFN-in's outputs W2 reads (sorted), slot s holding output slotOutputs[s]. */
  slotOutputs: number[];
  idx: Uint32Array;
  consts: Float32Array;
  values1: Float32Array;
}

/** The tables of FFN-in W1 (bias b1) followed by FFN-out W2 (bias b2). Kept columns in a padded
 *  tile (past `in`) point at column / slot 0: their weights are zeros, and 0 times a finite value
 *  adds nothing. */
export function ffnFusedTables(w1: HPMatrix, b1: Float32Array, w2: HPMatrix, b2: Float32Array): FfnFusedTables {
  if (w1.out !== w2.in || w1.in !== w2.out || w1.tr !== w2.tr)
    throw new RangeError(
      `FFN shapes do not chain: ${w1.in}->${w1.out} (Tr ${w1.tr}), ${w2.in}->${w2.out} (Tr ${w2.tr})`,
    );
  const tr = w1.tr;
  const q1 = w1.m * w1.k;
  const q2 = w2.m * w2.k;
  const nt2 = tileGrid(w2).tileRows;
  const inputOf = (w: HPMatrix, e: number) => w.tileCol[Math.floor(e / w.k)] * w.tc + w.colOff[e];
  const read = new Uint8Array(w2.in);
  for (let e = 0; e < nt2 * q2; e++) {
    const c = inputOf(w2, e);
    if (c < w2.in) read[c] = 1;
  }
  const slotOutputs: number[] = [];
  const slotOf = new Int32Array(w2.in).fill(-1);
  read.forEach((v, c) => {
    if (v) slotOf[c] = slotOutputs.push(c) - 1;
  });
  // Kept columns only in padding: output 0 takes slot 0, which they point at.
  if (slotOutputs.length === 0 && q2 > 0) slotOf[0] = slotOutputs.push(0) - 1;
  const runRows: number[] = [];
  for (let r = 0; r < tileGrid(w1).tileRows; r++) {
    const outs = Array.from({ length: Math.min(tr, w1.out - r * tr) }, (_, k) => r * tr + k);
    if (outs.some((o) => slotOf[o] >= 0)) runRows.push(r);
  }
  const nr1 = runRows.length;
  const idx = new Uint32Array(nr1 * q1 + nr1 * tr + nt2 * q2);
  const consts = new Float32Array(nr1 * tr + nt2 * tr);
  const values1 = new Float32Array(Math.max(4, nr1 * q1 * tr));
  runRows.forEach((r, i) => {
    for (let c = 0; c < q1; c++) {
      const col = inputOf(w1, r * q1 + c);
      idx[i * q1 + c] = col < w1.in ? col : 0;
    }
    for (let k = 0; k < tr; k++) {
      const o = r * tr + k;
      idx[nr1 * q1 + i * tr + k] = o < w1.out && slotOf[o] >= 0 ? slotOf[o] : NONE;
      if (o < w1.out) consts[i * tr + k] = b1[o];
    }
    values1.set(w1.values.subarray(r * q1 * tr, (r + 1) * q1 * tr), i * q1 * tr);
  });
  for (let e = 0; e < nt2 * q2; e++) {
    const c = inputOf(w2, e);
    idx[nr1 * q1 + nr1 * tr + e] = c < w2.in ? slotOf[c] : 0;
  }
  for (let o = 0; o < w2.out; o++) consts[nr1 * tr + o] = b2[o];
  return { runRows, slotOutputs, idx, consts, values1 };
}

export interface FfnFusedGeometry {
  name: string;
  bt4: number;
  threads: number;
  storageBytes: number;
  consts: Record<string, number>;
}

/** Token quads a workgroup, largest first: 16 tokens where the slots fit, else 8. */
const BT4_CHOICES = [4, 2];
/** Kept columns whose loads are issued at once, phase 1 and phase 2 (names: '/aN', '/bN'). */
const U1_DEFAULT = 4;
const U2_DEFAULT = 8;

/** The geometry for `slots` kept FFN-in outputs (forced: 'f16' / 'f8', tokens a workgroup, then
 *  optionally '/aN' / '/bN', the kept columns loaded at once in each phase), or null where none
 *  fits the device (or the name is not one). */
export function ffnFusedGeometry(
  limits: GPUSupportedLimits,
  shape: { tr: number; h: number; nr1: number; q1: number; nt2: number; q2: number; slots: number },
  sg: number,
  forced?: string,
): FfnFusedGeometry | null {
  const { tr, h } = shape;
  if (h % 4 !== 0 || tr % 4 !== 0 || shape.nt2 * tr < h) return null;
  const m = /^(f\d+)?(?:\/a(\d+))?(?:\/b(\d+))?$/.exec(forced ?? '');
  if (!m) return null;
  const u1 = m[2] ? Number(m[2]) : U1_DEFAULT;
  const u2 = m[3] ? Number(m[3]) : U2_DEFAULT;
  if (u1 < 1 || u1 > 16 || u2 < 1 || u2 > 32) return null;
  const choices = m[1] ? BT4_CHOICES.filter((b) => `f${4 * b}` === m[1]) : BT4_CHOICES;
  for (const bt4 of choices) {
    const threads = shape.nt2 * (tr / 4) * bt4;
    const smem = Math.max(shape.slots * bt4, 4 * bt4 * (h / 4 + 1));
    const storageBytes = smem * 16 + 4;
    if (threads % sg !== 0 || threads > limits.maxComputeInvocationsPerWorkgroup) continue;
    if (threads > limits.maxComputeWorkgroupSizeX || storageBytes > limits.maxComputeWorkgroupStorageSize) continue;
    const consts = {
      TR: tr,
      NR1: shape.nr1,
      Q1: shape.q1,
      NT2: shape.nt2,
      Q2: shape.q2,
      H: h,
      BT4: bt4,
      U1: u1,
      U2: u2,
      THREADS: threads,
      SG: sg,
      PER4: Math.ceil(h / 4 / sg),
      SMEM: smem,
    };
    const name = `f${4 * bt4}` + (u1 !== U1_DEFAULT ? `/a${u1}` : '') + (u2 !== U2_DEFAULT ? `/b${u2}` : '');
    return { name, bt4, threads, storageBytes, consts };
  }
  return null;
}

/** The fused feed-forward block of one layer. */
export interface HPFfnFused {
  readonly layout: KernelLayout;
  tileFor(tokens: number): string;
  /** A bind group: params {tokens, -, eps} (16-byte uniform), gamma then beta (2 x hidden), x (tokens
   *  x hidden, the residual, normalised in place) and xt (hidden x P: read, and written with
   *  `outColumns`). */
  bind(params: GPUBuffer, gammaBeta: GPUBuffer, x: BufferArg, xt: BufferArg): GPUBindGroup;
  encode(pass: GPUComputePassEncoder, group: GPUBindGroup, tokens: number, outColumns: boolean): void;
  readonly weightBytes: number;
  destroy(): void;
}

/** The fused block of FFN-in `w1` (bias b1) and FFN-out `w2` (bias b2), f32 values; null where it
 *  cannot run here (no fixed subgroup size, no geometry fits, or `tile` 'off'). */
export function hpFfnFused(
  device: GPUDevice,
  w1: HPMatrix,
  b1: Float32Array,
  w2: HPMatrix,
  b2: Float32Array,
  o: { subgroupSize: number | undefined; tile?: string; label: string },
): HPFfnFused | null {
  const sg = o.subgroupSize;
  if (!sg || o.tile === 'off') return null;
  const t = ffnFusedTables(w1, b1, w2, b2);
  const shape = {
    tr: w1.tr,
    h: w2.out,
    nr1: t.runRows.length,
    q1: w1.m * w1.k,
    nt2: tileGrid(w2).tileRows,
    q2: w2.m * w2.k,
    slots: t.slotOutputs.length,
  };
  const limits = device.limits;
  const g = ffnFusedGeometry(limits, shape, sg, o.tile);
  if (!g) return null;
  const idx = uploadBuffer(device, t.idx, `${o.label} ffn idx`);
  const consts = uploadBuffer(device, t.consts, `${o.label} ffn consts`);
  const values1 = uploadBuffer(device, t.values1, `${o.label} ffn-in values`);
  const values2 = uploadBuffer(device, w2.values, `${o.label} ffn-out values`);
  const own = [idx, consts, values1, values2];
  const layout = bindingLayout(device, 'hp-ffn-ln', [
    'uniform',
    'read',
    'read',
    'read',
    'read',
    'read',
    'write',
    'write',
  ]);
  const dispatches = new Map<string, KernelDispatch>();
  const dispatchFor = (tokens: number, outColumns: boolean): KernelDispatch => {
    const key = `${outColumns}:${tokens}`;
    let d = dispatches.get(key);
    if (!d) {
      const pipeline = cachedPipeline(
        device,
        layout,
        ffnWgsl,
        { ...g.consts, OUT_XT: outColumns, BIAS: false, GELU: false },
        `hp-ffn-ln tr${w1.tr} ${g.name} rows${shape.nr1} slots${shape.slots}${outColumns ? ' out-cols' : ''}`,
        subgroupCommonWgsl,
      );
      const [x, y] = rowGrid(Math.ceil(tokens / (4 * g.bt4)), limits.maxComputeWorkgroupsPerDimension);
      dispatches.set(
        key,
        (d = { pipeline, workgroup: { x: g.threads, y: 1, storageBytes: g.storageBytes }, grid: { x, y } }),
      );
    }
    return d;
  };
  return {
    layout,
    tileFor: () => g.name,
    weightBytes: own.reduce((n, b) => n + b.size, 0),
    bind: (params, gammaBeta, x, xt) =>
      device.createBindGroup({
        label: `${o.label} ffn + ln`,
        layout: layout.group,
        entries: [
          { buffer: params },
          ...own.map((buffer) => ({ buffer })),
          { buffer: gammaBeta },
          asBinding(x),
          asBinding(xt),
        ].map((resource, binding) => ({ binding, resource })),
      }),
    encode(pass, group, tokens, outColumns) {
      if (tokens === 0) return;
      runDispatch(pass, limits, o.label, dispatchFor(tokens, outColumns), group);
    },
    destroy() {
      own.forEach((b) => b.destroy());
    },
  };
}
