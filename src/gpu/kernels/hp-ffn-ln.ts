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

/** The fused block's tables (hp-ffn-ln.wgsl's idx and consts; W1's values by run row, W2's with each
 *  tile-row's kept columns ordered by chunk). */
export interface FfnFusedTables {
  /** W1's tile-rows holding an output W2 reads, in order. */
  runRows: number[];
  /** Slots: FFN-in's outputs W2 reads (sorted), slot s holding output slotOutputs[s]. */
  slotOutputs: number[];
  /** Chunks of slots (at most `cap` each, whole run rows): each one's first run row, then the end. */
  chunkRows: number[];
  idx: Uint32Array;
  consts: Float32Array;
  values1: Float32Array;
  values2: Float32Array;
}

/** The tables of FFN-in W1 (bias b1) followed by FFN-out W2 (bias b2), the slots in chunks of at
 *  most `cap`. Kept columns in a padded tile (past `in`) point at column / slot 0: their weights are
 *  zeros, and 0 times a finite value adds nothing. */
export function ffnFusedTables(
  w1: HPMatrix,
  b1: Float32Array,
  w2: HPMatrix,
  b2: Float32Array,
  cap: number,
): FfnFusedTables {
  if (w1.out !== w2.in || w1.in !== w2.out || w1.tr !== w2.tr)
    throw new RangeError(
      `FFN shapes do not chain: ${w1.in}->${w1.out} (Tr ${w1.tr}), ${w2.in}->${w2.out} (Tr ${w2.tr})`,
    );
  const tr = w1.tr;
  if (cap < tr) throw new RangeError(`a chunk of ${cap} slots cannot hold a tile-row of ${tr}`);
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
  const rowSlots: number[] = [];
  for (let r = 0; r < tileGrid(w1).tileRows; r++) {
    const n = Array.from({ length: Math.min(tr, w1.out - r * tr) }, (_, k) => r * tr + k).filter(
      (o) => slotOf[o] >= 0,
    ).length;
    if (n > 0) (runRows.push(r), rowSlots.push(n));
  }
  // Chunks: consecutive run rows while their slots fit `cap`.
  const chunkRows = [0];
  const chunkSlots = [0];
  let inChunk = 0;
  rowSlots.forEach((n, i) => {
    if (inChunk + n > cap)
      (chunkRows.push(i), chunkSlots.push(chunkSlots[chunkSlots.length - 1] + inChunk), (inChunk = 0));
    inChunk += n;
  });
  chunkRows.push(runRows.length);
  chunkSlots.push(slotOutputs.length);
  const nch = chunkRows.length - 1;
  const chunkOfSlot = (s: number) => chunkSlots.findIndex((start, c) => c < nch && s < chunkSlots[c + 1]);
  const nr1 = runRows.length;
  const cols2 = nr1 * q1 + nr1 * tr;
  const chCols = cols2 + nt2 * q2 + 2 * (nch + 1);
  const idx = new Uint32Array(chCols + nt2 * (nch + 1));
  const consts = new Float32Array(nr1 * tr + nt2 * tr);
  const values1 = new Float32Array(Math.max(4, nr1 * q1 * tr));
  const values2 = new Float32Array(Math.max(4, nt2 * q2 * tr));
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
  idx.set(chunkRows, cols2 + nt2 * q2);
  idx.set(chunkSlots, cols2 + nt2 * q2 + nch + 1);
  for (let r = 0; r < nt2; r++) {
    // Tile-row r's kept columns by chunk (stable: in a chunk, in their order), slots relative to it.
    const kept = Array.from({ length: q2 }, (_, e) => {
      const c = inputOf(w2, r * q2 + e);
      const s = c < w2.in ? slotOf[c] : 0;
      return { e, s, chunk: chunkOfSlot(s) };
    }).sort((a, b) => a.chunk - b.chunk || a.e - b.e);
    kept.forEach(({ e, s, chunk }, p) => {
      idx[cols2 + r * q2 + p] = s - chunkSlots[chunk];
      values2.set(w2.values.subarray((r * q2 + e) * tr, (r * q2 + e + 1) * tr), (r * q2 + p) * tr);
    });
    for (let ch = 0; ch <= nch; ch++) idx[chCols + r * (nch + 1) + ch] = kept.filter((k) => k.chunk < ch).length;
  }
  for (let o = 0; o < w2.out; o++) consts[nr1 * tr + o] = b2[o];
  return { runRows, slotOutputs, chunkRows, idx, consts, values1, values2 };
}

export interface FfnFusedGeometry {
  name: string;
  bt4: number;
  /** Token quads a phase-1 unit. */
  rt1: number;
  threads: number;
  /** Most slots a chunk (what workgroup memory holds at BT4 vec4 a slot). */
  cap: number;
  storageBytes: number;
  consts: Record<string, number>;
}

/** Token quads a workgroup, largest first (names 'f32', 'f16', 'f8': tokens a workgroup). */
const BT4_CHOICES = [8, 4, 2];
/** Kept columns whose loads are issued at once, phase 1 and phase 2 (names: '/aN', '/bN'). */
const U1_DEFAULT = 4;
const U2_DEFAULT = 8;
/** Token quads a phase-1 unit by default ('/rN'): its accumulators stay under ~100 registers. */
const rt1Default = (bt4: number) => Math.min(bt4, 2);

/** The geometry of W2's `nt2` tile-rows of `tr` outputs and `h` hidden (forced: 'f32' / 'f16' /
 *  'f8', tokens a workgroup, then optionally '/rN' token quads a phase-1 unit, '/aN' / '/bN' kept
 *  columns loaded at once in each phase, '/cN' at most N slots a chunk), or null where none fits
 *  the device (or the name is not one). */
export function ffnFusedGeometry(
  limits: GPUSupportedLimits,
  shape: { tr: number; h: number; nt2: number },
  sg: number,
  forced?: string,
): FfnFusedGeometry | null {
  const { tr, h } = shape;
  if (h % 4 !== 0 || tr % 4 !== 0 || shape.nt2 * tr < h) return null;
  const m = /^(f\d+)?(?:\/r(\d+))?(?:\/a(\d+))?(?:\/b(\d+))?(?:\/c(\d+))?(~p1|~p1s|~p2|~ln|~xtr)?$/.exec(forced ?? '');
  if (!m) return null;
  const u1 = m[3] ? Number(m[3]) : U1_DEFAULT;
  const u2 = m[4] ? Number(m[4]) : U2_DEFAULT;
  if (u1 < 1 || u1 > 16 || u2 < 1 || u2 > 32) return null;
  const choices = m[1] ? BT4_CHOICES.filter((b) => `f${4 * b}` === m[1]) : BT4_CHOICES;
  for (const bt4 of choices) {
    const rt1 = m[2] ? Number(m[2]) : rt1Default(bt4);
    if (rt1 < 1 || bt4 % rt1 !== 0) continue;
    const threads = shape.nt2 * (tr / 4) * bt4;
    const rows = 4 * bt4 * (h / 4 + 1);
    // The slots a chunk: what the memory left after the atomic holds, at most '/cN'.
    const fit = Math.floor((limits.maxComputeWorkgroupStorageSize - 4) / 16 / bt4);
    const cap = Math.min(fit, m[5] ? Number(m[5]) : fit);
    const smem = Math.max(cap * bt4, rows);
    const storageBytes = smem * 16 + 4;
    if (cap < tr || threads % sg !== 0 || threads > limits.maxComputeInvocationsPerWorkgroup) continue;
    if (threads > limits.maxComputeWorkgroupSizeX || storageBytes > limits.maxComputeWorkgroupStorageSize) continue;
    const consts = {
      TR: tr,
      NT2: shape.nt2,
      H: h,
      BT4: bt4,
      RT1: rt1,
      U1: u1,
      U2: u2,
      THREADS: threads,
      SG: sg,
      PER4: Math.ceil(h / 4 / sg),
      SMEM: smem,
      // Ablations (timing only, wrong results): '~p1' no FFN-in products, '~p1s' no FFN-in stores,
      // '~p2' no FFN-out products, '~ln' no LayerNorm (nor x written), '~xtr' X not read.
      NO_P1: Number(m[6] === '~p1'),
      NO_P1S: Number(m[6] === '~p1s'),
      NO_P2: Number(m[6] === '~p2'),
      NO_LN: Number(m[6] === '~ln'),
      NO_XTREAD: Number(m[6] === '~xtr'),
    };
    const name =
      `f${4 * bt4}` +
      (rt1 !== rt1Default(bt4) ? `/r${rt1}` : '') +
      (u1 !== U1_DEFAULT ? `/a${u1}` : '') +
      (u2 !== U2_DEFAULT ? `/b${u2}` : '') +
      (m[5] ? `/c${cap}` : '') +
      (m[6] ?? '');
    return { name, bt4, rt1, threads, cap, storageBytes, consts };
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
  const limits = device.limits;
  const g = ffnFusedGeometry(limits, { tr: w1.tr, h: w2.out, nt2: tileGrid(w2).tileRows }, sg, o.tile);
  if (!g) return null;
  const t = ffnFusedTables(w1, b1, w2, b2, g.cap);
  const nch = t.chunkRows.length - 1;
  const consts = { ...g.consts, NR1: t.runRows.length, Q1: w1.m * w1.k, Q2: w2.m * w2.k, NCH: nch };
  const idx = uploadBuffer(device, t.idx, `${o.label} ffn idx`);
  const own = [
    idx,
    uploadBuffer(device, t.consts, `${o.label} ffn consts`),
    uploadBuffer(device, t.values1, `${o.label} ffn-in values`),
    uploadBuffer(device, t.values2, `${o.label} ffn-out values`),
  ];
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
        { ...consts, OUT_XT: outColumns, BIAS: false, GELU: false },
        `hp-ffn-ln tr${w1.tr} ${g.name} rows${consts.NR1} slots${t.slotOutputs.length}/${nch}` +
          (outColumns ? ' out-cols' : ''),
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
