// The register-blocked attention kernel (attention-tiled.wgsl): variants 'b<QB>k<KT>n<KN>' (QB
// query rows a workgroup, KT keys a tile in workgroup memory, a 4 x KN score micro-tile a thread),
// their workgroup memory and threads, and whether a device can run them.
import tiledWgsl from './attention-tiled.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import loadPairsWgsl from './attention-load-pairs.wgsl?raw';
import { bindingLayout, compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { GpuLimitError } from '../limits';

/** The bind-group layout of every attention kernel (params, q, k, v, mask, ctx): one, so a layer's
 *  bind group serves whichever variant runs it (the engine's [CLS] attention takes the layer's). */
export function attentionLayout(device: GPUDevice): KernelLayout {
  return bindingLayout(device, 'encoder.attention', ['uniform', 'read', 'read', 'read', 'read', 'write']);
}

/** attention.ts's QkvLayout (where a head's Q, K and V start in rows of `stride` floats). */
export interface QkvRows {
  stride: number;
  q: number;
  k: number;
  v: number;
}

/** Kept after the H200 runs (BENCHMARKS.md, issue 19 fifth pass, µs a layer at B=1 / B=32, L=128):
 *  b16k128n4 7.7 / 139, b32k128n4 7.7 / 72, b64k64n4 10.7 / 57, b64k32n4 14.5 / 51, b128k32n4
 *  17.6 / 49. Removed, never the best at a shape: b32k128n8, b64k64n8, b32k64n4, b16k64n4,
 *  b8k128n4. */
export const TILED_ATTENTION_VARIANTS = ['b16k128n4', 'b32k128n4', 'b64k64n4', 'b64k32n4', 'b128k32n4'] as const;

export interface TiledShape {
  qb: number;
  kt: number;
  kn: number;
  qg: number;
  kg: number;
  threads: number;
  /** Key splits of the value product. */
  ks: number;
  dp4: number;
  /** Quads of the key / P^T / merge array. */
  kp: number;
  storageBytes: number;
}

/** `hp-lab bench attention --ablate`: the stages a timing can leave out (bits of ABLATE). The tiled
 *  kernel knows the first three; the written-out (attention-unrolled.ts) and blocked
 *  (attention-blocked.ts) kernels also exp (no exp/exp2: the scores minus the max as they are) and
 *  the written-out ones kread1 / vread1 (every product of a key's scores / values from one quad
 *  of workgroup memory instead of D4: the same multiply-adds, a seventh of the reads). */
export const ABLATIONS = { loads: 1, scores: 2, values: 4, exp: 8, kread1: 16, vread1: 32 } as const;
/** Which ablations each kind of kernel knows. */
export const TILED_ABLATIONS = ['loads', 'scores', 'values'] as const;

const isPow2 = (x: number) => x >= 1 && (x & (x - 1)) === 0;

export function parseTiledVariant(name: string): { qb: number; kt: number; kn: number } | null {
  const m = /^b(\d+)k(\d+)n(\d+)$/.exec(name);
  return m ? { qb: Number(m[1]), kt: Number(m[2]), kn: Number(m[3]) } : null;
}

/** The variant's sizes for head size d, or a reason it cannot run that head size. */
export function tiledShape(variant: string, d: number): TiledShape | string {
  const v = parseTiledVariant(variant);
  if (!v) return `'${variant}' is not a tiled attention variant`;
  const { qb, kt, kn } = v;
  const qg = qb / 4;
  const kg = kt / kn;
  if (!isPow2(qg) || !Number.isInteger(kg) || kt % 4 !== 0) return `'${variant}' has an unusable tile`;
  const threads = qg * kg;
  // Lane d of each head vector is spare (the mask bias in keys, 1 in queries and values).
  const dp4 = Math.floor(d / 4) + 1;
  let ks = 1;
  while (ks * 2 * qg * dp4 <= threads && kt % (ks * 2 * 4) === 0) ks *= 2;
  if (qg * dp4 > threads) return `head size ${d} needs more threads than '${variant}' has`;
  const kp = Math.max(kt * dp4, kt * (qg + 1), ks * qb * dp4);
  const storageBytes = 16 * (qb * dp4 + kp + kt * dp4 + threads + qg);
  return { qb, kt, kn, qg, kg, threads, ks, dp4, kp, storageBytes };
}

/** Whether the device runs the variant at head size d (workgroup memory and threads). */
export function tiledFits(device: GPUDevice, variant: string, d: number): boolean {
  return shapeFits(device, tiledShape(variant, d));
}

/** Whether a kernel shape (or the reason it has none) fits the device's workgroup memory and threads. */
export function shapeFits(device: GPUDevice, s: { storageBytes: number; threads: number } | string): boolean {
  const l = device.limits;
  return (
    typeof s !== 'string' &&
    s.storageBytes <= l.maxComputeWorkgroupStorageSize &&
    s.threads <= l.maxComputeInvocationsPerWorkgroup &&
    s.threads <= l.maxComputeWorkgroupSizeX
  );
}

/** ABLATIONS' stage bits of `ablate` as flags (the generated kernels' ablations). */
export function ablated(ablate: number): { noLoads: boolean; noScores: boolean; noValues: boolean; noExp: boolean } {
  const has = (bit: number) => (ablate & bit) !== 0;
  return {
    noLoads: has(ABLATIONS.loads),
    noScores: has(ABLATIONS.scores),
    noValues: has(ABLATIONS.values),
    noExp: has(ABLATIONS.exp),
  };
}

export const LANES = ['x', 'y', 'z', 'w'];

/** Whether every head of every row starts at an even float (8-byte loads of float pairs). */
export const pairLoads = (d: number, qkv: QkvRows): boolean =>
  [d, qkv.stride, qkv.q, qkv.k, qkv.v].every((x) => x % 2 === 0);

/** A register-blocked kernel of QB-query workgroups (this file's and attention-blocked.ts's). */
/** What a later kernel reads of one attention call's output (all where not given). */
export interface AttentionCall {
  /** The most value dims a head's context has read (Params.dims: each head's, bit e for dim e): the
   *  whole-sequence 'v' / 'r' kernels compute and store those alone (attention-whole.ts's read
   *  form), the others every dim (the unread ones harmless). */
  valueDims?: number;
}

/** One attention call, the same for every kernel: `liveHeads` is how many heads it runs (the first
 *  that many set in Params.heads, attention-live-head.wgsl; all by default, with Params.heads 0). */
export type AttentionEncode = (
  pass: GPUComputePassEncoder,
  bindGroup: GPUBindGroup,
  batch: number,
  seq: number,
  liveHeads?: number,
  call?: AttentionCall,
) => void;

export interface BlockAttention<S extends { qb: number }> {
  layout: KernelLayout;
  shape: S;
  encode: AttentionEncode;
}

/** The part the register-blocked kernels share: the device check (`fits`), the layout, and the
 *  pipeline compiled on the first encode from `source`'s constants and body (after the Q/K/V
 *  load functions: float pairs where every head starts at an even float). */
export function blockAttention<S extends { qb: number; storageBytes: number; threads: number }>(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  ablate: number,
  kind: {
    shape: (variant: string, d: number) => S | string;
    fits: (device: GPUDevice, variant: string, d: number) => boolean;
    source: (shape: S, d: number) => { consts: Record<string, number>; body: string };
  },
): BlockAttention<S> {
  const d = hidden / heads;
  const shape = kind.shape(variant, d);
  if (typeof shape === 'string') throw new RangeError(shape);
  if (!kind.fits(device, variant, d))
    throw new GpuLimitError(
      `attention variant '${variant}' needs ${shape.storageBytes} bytes of workgroup memory and ` +
        `${shape.threads} threads; this device allows ${device.limits.maxComputeWorkgroupStorageSize}`,
    );
  const layout = attentionLayout(device);
  let pipeline: GPUComputePipeline | undefined;
  return {
    layout,
    shape,
    encode(pass, bindGroup, batch, seq, liveHeads = heads) {
      if (!pipeline) {
        const { consts, body } = kind.source(shape, d);
        const code = withConsts(
          { ...consts, H: hidden, D: d, STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v },
          pairLoads(d, qkv) ? loadPairsWgsl : loadF32Wgsl,
          liveHeadWgsl,
          body,
        );
        const label = `encoder.attention ${variant}${ablate ? ` ablate=${ablate}` : ''}`;
        pipeline = compilePipeline(device, layout, label, code);
      }
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / shape.qb), liveHeads, batch);
    },
  };
}

export function createTiledAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvRows,
  variant: string,
  /** Stages left out, for timing them by difference (wrong results): ABLATIONS' bits. */
  ablate = 0,
): BlockAttention<TiledShape> {
  return blockAttention(device, hidden, heads, qkv, variant, ablate, {
    shape: tiledShape,
    fits: tiledFits,
    source: ({ qb, kt, kn, qg, kg, threads, ks, dp4, kp }) => ({
      consts: {
        ...{ DP4: dp4, QB: qb, QG: qg, KT: kt, KN: kn, KG: kg, THREADS: threads, KS: ks, KPS: kt / ks },
        ...{ PS: qg + 1, KP: kp, NIT: Math.ceil((kt * dp4) / threads), ABLATE: ablate },
      },
      body: tiledWgsl,
    }),
  });
}
