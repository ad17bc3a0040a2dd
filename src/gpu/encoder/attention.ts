// Fused multi-head attention kernel (attention.wgsl): where Q, K and V sit in their rows, tile
// sizes chosen for the head size and the device's workgroup memory, threads per workgroup
// chosen per call so that few tokens still spread over many workgroups, and the variant: query
// rows per thread (QPT) and keys per register chunk (KC).
import attentionWgsl from './attention.wgsl?raw';
import loadF32Wgsl from './attention-load-f32.wgsl?raw';
import liveHeadWgsl from './attention-live-head.wgsl?raw';
import { compilePipeline, withConsts, type KernelLayout } from '../kernel';
import { GpuLimitError } from '../limits';
import {
  ABLATIONS,
  attentionLayout,
  createTiledAttention,
  parseTiledVariant,
  TILED_ABLATIONS,
  tiledFits,
  TILED_ATTENTION_VARIANTS,
  type AttentionEncode,
} from './attention-tiled';
import { unrolledAttentionWgsl } from './attention-unrolled';
import { BLOCKED_ATTENTION_VARIANTS, createBlockedAttention, parseBlockedVariant } from './attention-blocked';
import { createSubgroupAttention, parseSubgroupVariant, SUBGROUP_ATTENTION_VARIANTS } from './attention-subgroup';
import { createWholeAttention, parseWholeVariant, WHOLE_ATTENTION_VARIANTS, wholeFits } from './attention-whole';

/** Where a head's Q, K and V columns start in rows of `stride` floats (head h adds h * D). */
export interface QkvLayout {
  stride: number;
  q: number;
  k: number;
  v: number;
}

export interface AttentionKernel {
  /** Bindings: params {seq, scale}, q, k, v, mask, ctx (one layout for every variant). */
  layout: KernelLayout;
  readonly variant: string;
  /** Query rows per workgroup the call would use (reports, tests); liveHeads: the heads it runs
   *  (default all; 'auto' picks by the (sequence, head) pairs). */
  queriesPerGroup(batch: number, seq: number, liveHeads?: number): number;
  encode: AttentionEncode;
}

/** Q, K and V in three separate [tokens, hidden] buffers. */
export function separateQkv(hidden: number): QkvLayout {
  return { stride: hidden, q: 0, k: 0, v: 0 };
}

/** The same kernels with every per-thread loop written out (attention-unrolled.ts): 'u' suffix. */
export const UNROLLED_ATTENTION_VARIANTS = [
  'q1c8s2u',
  'q1c8s4u',
  'q1c8s8u',
  'q2c8u',
  'q2c8s2u',
  'q2c8s4u',
  'q2c4s4u',
  'q2c8s8u',
] as const;

/** Fixed key tiles and query tiles ('t<KT>': KT keys a tile instead of 64 at head sizes <= 32, so
 *  L=128 stages every key once, behind one barrier; 'w<QT>': QT query slots a workgroup). */
export const TILE_ATTENTION_VARIANTS = ['q1c8s2t128', 'q1c8s2ut128', 'q2c8s2ut128', 'q1c8s4t128', 'q1c8s2w32'] as const;

/** Unrolled with the K/V tile as rows of quads ('v': kv[key][quad], one bounds clamp a key instead
 *  of one a read; attention-unrolled.ts). */
export const ROWS_ATTENTION_VARIANTS = [
  'q1c8s2v',
  'q2c8s2v',
  'q1c8s4v',
  'q1c8s8v',
  'q1c8s2vt128',
  'q2c8s2vt128',
  'q1c16s2v',
  'q1c16s2f',
  'q1c8s8f',
  'q1c16s2fp',
  'q1c8s8fp',
] as const;

/** Attention variants, 'q<QPT>c<KC>[s<S>][u]': QPT query rows a thread, KC keys a register chunk, S
 *  threads per query row splitting its keys (merged at the end; 1 without 's'). q1c64 is the
 *  kernel before chunking (one thread per query, a whole 64-key tile of scores per thread).
 *  On the H200 (4 layers, ms of attention, dense / HP 90%; BENCHMARKS.md, issue 19 fourth pass):
 *  B=32 L=128 q1c8s2 0.187 / 0.212, q2c8 0.216 / 0.233, q1c8s4 0.229 / 0.282, q1c8 0.243 / 0.252,
 *  q1c8s8 0.299 / 0.337, q2c8s2/s4 0.87-0.92; B=1 L=128 q1c8s8 0.039, q1c8s4 0.057, q2c8s4 0.084,
 *  q1c8s2 0.100, q1c8 0.117, q2c8 0.142. The register-blocked 'b<QB>k<KT>n<KN>' variants are
 *  attention-tiled.ts's. 'auto' (the default) takes q1c8s8fp for one sentence (AUTO_FEW_TOKENS),
 *  h1w32s8c8t64 for a few at 64 < L <= 128 (AUTO_FEW_SENTENCES), else one of those where
 *  AUTO_TILED's rules hold, else q1c8 with the most splits (8 as q1c8s8fp, 4, 2) that keep the
 *  threads (query rows x S) within AUTO_THREADS, two splits as AUTO_WHOLE where that makes
 *  AUTO_WHOLE_GROUPS workgroups (attention-whole.ts's 'h' variants; at L > 64 one split a query as
 *  AUTO_WHOLE_ONE_SPLIT by the heads run), else AUTO_TWO_SPLITS. */
export const ATTENTION_VARIANTS = [
  'auto',
  'q2c8',
  'q1c8',
  'q1c16',
  'q1c64',
  'q1c8s2',
  'q1c8s4',
  'q1c8s8',
  'q2c8s2',
  'q2c8s4',
  ...UNROLLED_ATTENTION_VARIANTS,
  ...TILE_ATTENTION_VARIANTS,
  ...ROWS_ATTENTION_VARIANTS,
  ...TILED_ATTENTION_VARIANTS,
  ...BLOCKED_ATTENTION_VARIANTS,
  ...SUBGROUP_ATTENTION_VARIANTS,
  ...WHOLE_ATTENTION_VARIANTS,
] as const;
export type AttentionVariant = (typeof ATTENTION_VARIANTS)[number];
export const DEFAULT_ATTENTION: AttentionVariant = 'auto';

interface ParsedVariant {
  qpt: number;
  kc: number;
  splits: number;
  unrolled: boolean;
  /** Unrolled, K/V tile as rows of quads ('v', 'f'). */
  rows2d: boolean;
  /** 'f': also each score as a chain of fma() instead of dot() added. */
  fmaChain: boolean;
  /** 'p' after the letter: the next K/V tile loaded into registers during this one. */
  prefetch: boolean;
  /** Keys a tile and query slots a workgroup, where the name fixes them. */
  kt?: number;
  qt?: number;
}

function parseVariant(name: string): ParsedVariant {
  const m = /^q(\d+)c(\d+)(?:s(\d+))?([uvf]?)(p?)(?:t(\d+))?(?:w(\d+))?$/.exec(name);
  if (!m || !(ATTENTION_VARIANTS as readonly string[]).includes(name))
    throw new RangeError(`attention variant '${name}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
  const opt = (x: string | undefined) => (x === undefined ? undefined : Number(x));
  return {
    qpt: Number(m[1]),
    kc: Number(m[2]),
    splits: Number(m[3] ?? 1),
    unrolled: m[4] !== '',
    rows2d: m[4] === 'v' || m[4] === 'f',
    fmaChain: m[4] === 'f',
    prefetch: m[5] === 'p',
    kt: opt(m[6]),
    qt: opt(m[7]),
  };
}

/** Enough workgroups to keep a large GPU busy before making them wider. */
const MIN_GROUPS = 264;
const QUERY_TILES = [64, 32, 16];
/** With key splits: query slots a workgroup, at most MAX_SPLIT_THREADS threads (the merge reuses
 *  the K/V tile's workgroup memory). */
const SPLIT_QUERY_TILES = [64, 32, 16, 8];
const MAX_SPLIT_THREADS = 128;

/** Threads (query rows x key splits) the automatic choice stops at: B=32 L=64's 24.6k and L=128's
 *  49k rows got the least time with 2 splits (4 took 20-30% longer at L=64: issue 19, fifth
 *  pass), B=1's 1.5k rows with 8. */
const AUTO_THREADS = 65536;
const AUTO_SPLITS = [8, 4, 2] as const;

const autoSplits = (rows: number): number => AUTO_SPLITS.find((x) => rows * x <= AUTO_THREADS) ?? 2;

/** What 'auto' runs where it takes two splits: written out, the K/V tile as rows of quads, 16-key
 *  chunks, each score a chain of fma(). H200 (issue 19 seventh pass), one layer alone at B=32
 *  L=128: q1c16s2v 42.5 µs against q1c8s2's 46.6 (q1c8s2v 44.0, q2c8s2vt128 43.0); in the engine,
 *  4 layers 0.170 against 0.186 ms, dense and HP alike; B=32 L=64 15.2 against 16.0 µs. Ninth pass:
 *  q1c16s2f 42.0 against q1c16s2v's 43.0 µs (L=64: 15.1 / 15.4), in the engine 0.167 against 0.170
 *  ms at L=128 (dense forward 1.507 / 1.516, HP 90 % 0.513 / 0.518). */
const AUTO_TWO_SPLITS = 'q1c16s2f';

/** Register-blocked variants 'auto' takes where their rule holds (first match) and the device has
 *  their workgroup memory; otherwise q1c8 with autoSplits (AUTO_TWO_SPLITS for two). H200, 4
 *  layers (BENCHMARKS.md, issue 19 fifth pass): few rows at L=128 (B=1): b16k128n4 0.031 ms vs
 *  q1c8s8 0.039; many rows whose Q/K/V rows are a multiple of 64 floats (the stacked HP linear's
 *  blocks of 320: the q1c8 kernels read them 13% slower than the dense layout's 936-float rows,
 *  the register-blocked ones at the same speed): B=32 L=128 b128k32n4 0.200 vs q1c8s2 0.212, L=64
 *  b64k64n4 0.075 vs 0.079. The engine now pads such rows by default (qkv-plan.ts QKV_AUTO_PAD). */
const AUTO_TILED: [string, (seq: number, rows: number, aligned: boolean) => boolean][] = [
  ['b16k128n4', (seq, rows) => seq > 64 && rows <= 6144],
  ['b128k32n4', (seq, rows, aligned) => seq > 64 && rows > 6144 && aligned],
  ['b64k64n4', (seq, rows, aligned) => seq <= 64 && rows > 6144 && aligned],
];

/** What 'auto' runs for one sentence (batch x seq <= AUTO_FEW_TOKENS, seq <= 128): q1c8s8f with
 *  the next K/V tile loaded into registers during this one ('p'). H200 (BENCHMARKS.md, issue 19
 *  eleventh pass, helper 19e), one layer alone: B=1 L=64 4.18 µs against q1c8s8's 5.76, L=128 7.04
 *  against b16k128n4's 7.68; in the engine (4 layers): L=64 0.0167 against 0.0231 ms (HP 90 %
 *  forward 0.1548 / 0.1647), L=128 0.0288 against 0.0309 (dense forward 0.383 / 0.385). At B=32
 *  L=128 the prefetch is slower (43.5 against q1c16s2f's 42.0 µs): the register tile costs more
 *  than the load it hides where many workgroups hide each other's loads. */
const AUTO_FEW_TOKENS_VARIANT = 'q1c8s8fp';

/** What 'auto' runs in place of AUTO_TWO_SPLITS where it makes at least AUTO_WHOLE_GROUPS
 *  workgroups (sequences x heads x 128-query blocks; L <= 128): 128 queries a workgroup, two key
 *  splits, 16-key chunks, 64-key tiles (attention-whole.ts). H200 (BENCHMARKS.md, issue 19 twelfth
 *  pass, helper 19g), one layer alone: B=32 L=128 38.9 µs against q1c16s2f's 42.0, L=64 13.1
 *  against 15.2; in the engine (4 layers) 0.1556 against 0.1663 ms (L=128), 0.0524 against 0.0602
 *  (L=64). With fewer workgroups (B=16, 24 at L=128: 192, 288) it was slower (24.3 / 37.7 µs
 *  against 22.0 / 36.9): 2 of its 8-warp workgroups fit an SM, so 3 an SM run as 2 rounds. */
const AUTO_WHOLE = 'h1w128s2c16t64';
const AUTO_WHOLE_GROUPS = 384;
const AUTO_FEW_TOKENS = 128;

/** Where 'auto' takes AUTO_WHOLE at L > 64: one split a query instead, so that a workgroup is 128
 *  invocations and 14.3 KiB, and an SM holds 3 (its 48 KiB of workgroup memory) where it held 2 of
 *  AUTO_WHOLE's 256 (registers; both counted on the H200 by `bench attention --residency`,
 *  BENCHMARKS.md issue 19 fifteenth pass, helper 19b): 396 at once on its 132 SMs. Workgroups of
 *  128 queries (`many`) from sequences x live heads (the engine's) > ONE_ROUND / 2, else two of 64
 *  queries and two key splits (`few`: one round of 396 for them). H200, one layer alone (µs, 6 / 9 /
 *  11 / 12 heads at B=32 L=128): AUTO_WHOLE 24.6 / 37.7 / 37.7 / 38.4, many 25.3 / 34.4 / 33.6 /
 *  34.4, few 20.5 / 33.6 / 38.1 / 37.9; in the engine (one process): dense forward 1.2911 -> 1.2714
 *  ms, HP 90 % 0.428 -> 0.4219. At L=64 (64-query blocks either way) AUTO_WHOLE stays (13.1 against
 *  15.6 / 13.1). From `minGroups` (B=16 at 12 heads) where AUTO_WHOLE needed AUTO_WHOLE_GROUPS: one
 *  process (the lead's fifteenth pass, BENCHMARKS.md "B=16 and 24 at L=128"): alone B=16 few 20.0 µs
 *  against AUTO_TWO_SPLITS 22.0, B=24 many / few 33.6 against 36.0; forwards dense B=16 0.9081 -> 0.9035
 *  (few), B=24 1.0843 -> 1.0724 (many), HP 90 % B=24 0.4157 -> 0.4096 (many), B=16 0.2895 -> 0.2867. */
const AUTO_WHOLE_ONE_SPLIT = {
  many: 'h1w128s1c16t64',
  few: 'h1w64s2c16t64',
  oneRound: 396,
  minSeq: 65,
  minGroups: 192,
};

/** What 'auto' runs where it takes 8 key splits (a few short sentences: query rows x 8 <= AUTO_THREADS)
 *  past AUTO_FEW_TOKENS: AUTO_FEW_TOKENS_VARIANT's kernel, the written-out q1c8s8 with the K/V tile as
 *  rows of quads and the next one prefetched. H200 (BENCHMARKS.md, issue 19 nineteenth pass), one
 *  layer alone (rows of 312 floats): B=4 L=64 6.1 µs against q1c8s8's 6.9, B=8 L=64 7.2 against 7.9. */
const AUTO_EIGHT_SPLITS = 'q1c8s8fp';

/** What 'auto' runs for a few sentences at 64 < L <= 128 (more tokens than AUTO_FEW_TOKENS) where
 *  its workgroups (sequences x heads run x 32-query blocks; 256 invocations each) make at most
 *  `oneRound`: 32 queries a workgroup, 8 key splits merged in halving steps (attention-whole.ts).
 *  The H200 holds 2 of the 'h' kernels' 256-invocation workgroups an SM (registers; the fifteenth
 *  pass's residency count), 264 on its 132 SMs. H200 (BENCHMARKS.md, issue 19 nineteenth pass), the
 *  engine's attention over 4 layers (ms) and HP 90 % forward, L=128: B=2 0.0474 -> 0.0315 (forward
 *  0.1581 -> 0.1393), B=4 0.0655 -> 0.0402 (0.1925 -> 0.1614; dense 0.5489 -> 0.5038); at B=6 (288
 *  workgroups, two rounds) 0.0559 against 0.0568: the rule before stays. */
const AUTO_FEW_SENTENCES = { variant: 'h1w32s8c8t64', queries: 32, oneRound: 264, minSeq: 65, maxSeq: 128 };

/** The variant 'auto' runs for batch x seq query rows of `heads` heads (reports, tests), reading
 *  Q/K/V rows of `stride` floats; `fits` says whether a register-blocked variant fits the device
 *  (without it, each is assumed to); `liveHeads`: the heads the call runs (default all). */
export function autoAttentionVariant(
  batch: number,
  seq: number,
  heads: number,
  opts: { stride?: number; fits?: (v: string) => boolean; liveHeads?: number } = {},
): string {
  if (batch * seq <= AUTO_FEW_TOKENS && seq <= 128) return AUTO_FEW_TOKENS_VARIANT;
  const sentences = AUTO_FEW_SENTENCES;
  const sentenceGroups = batch * (opts.liveHeads ?? heads) * Math.ceil(seq / sentences.queries);
  const inRange = seq >= sentences.minSeq && seq <= sentences.maxSeq;
  if (inRange && sentenceGroups <= sentences.oneRound && (opts.fits?.(sentences.variant) ?? true))
    return sentences.variant;
  const rows = batch * seq * heads;
  const aligned = opts.stride !== undefined && opts.stride % 64 === 0;
  const tiled = AUTO_TILED.find(([v, when]) => when(seq, rows, aligned) && (opts.fits?.(v) ?? true));
  if (tiled) return tiled[0];
  const splits = autoSplits(rows);
  if (splits === 8) return AUTO_EIGHT_SPLITS;
  if (splits !== 2) return `q1c8s${splits}`;
  const { many, few, oneRound, minSeq, minGroups } = AUTO_WHOLE_ONE_SPLIT;
  const wholeGroups = batch * heads * Math.ceil(seq / 128);
  const enough = wholeGroups >= (seq >= minSeq ? minGroups : AUTO_WHOLE_GROUPS);
  const whole = seq <= 128 && enough && (opts.fits?.(AUTO_WHOLE) ?? true);
  if (!whole) return AUTO_TWO_SPLITS;
  const groups = batch * (opts.liveHeads ?? heads) * Math.ceil(seq / 128);
  const one = seq >= minSeq ? (2 * groups <= oneRound ? few : many) : AUTO_WHOLE;
  return opts.fits?.(one) === false ? AUTO_WHOLE : one;
}

export function createAttentionKernel(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout = separateQkv(hidden),
  variant: string = DEFAULT_ATTENTION,
): AttentionKernel {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  if (qkv.stride < hidden || [qkv.q, qkv.k, qkv.v].some((o) => o < 0 || o + hidden > qkv.stride))
    throw new RangeError(`Q/K/V layout ${JSON.stringify(qkv)} does not hold ${hidden} columns per row`);
  if (parseTiledVariant(variant)) {
    if (!(ATTENTION_VARIANTS as readonly string[]).includes(variant))
      throw new RangeError(`attention variant '${variant}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
    const k = createTiledAttention(device, hidden, heads, qkv, variant);
    return { layout: k.layout, variant, queriesPerGroup: () => k.shape.qb, encode: k.encode };
  }
  if (parseBlockedVariant(variant)) {
    if (!(ATTENTION_VARIANTS as readonly string[]).includes(variant))
      throw new RangeError(`attention variant '${variant}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
    const k = createBlockedAttention(device, hidden, heads, qkv, variant);
    return { layout: k.layout, variant, queriesPerGroup: () => k.shape.qb, encode: k.encode };
  }
  if (parseSubgroupVariant(variant)) {
    if (!(ATTENTION_VARIANTS as readonly string[]).includes(variant))
      throw new RangeError(`attention variant '${variant}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
    const k = createSubgroupAttention(device, hidden, heads, qkv, variant);
    return { layout: k.layout, variant, queriesPerGroup: () => k.qw, encode: k.encode };
  }
  if (parseWholeVariant(variant)) {
    if (!(ATTENTION_VARIANTS as readonly string[]).includes(variant))
      throw new RangeError(`attention variant '${variant}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
    const k = createWholeAttention(device, hidden, heads, qkv, variant);
    return { layout: k.layout, variant, queriesPerGroup: (_b, seq) => k.queriesPerGroup(seq), encode: k.encode };
  }
  if (variant !== 'auto') return fixedAttentionKernel(device, hidden, heads, qkv, variant);
  // All variants share one bind-group layout (attentionLayout), so one bind group fits each;
  // each is made on first use (its pipeline compiled then).
  const kernels = new Map<string, AttentionKernel>();
  const fits = (v: string) =>
    parseWholeVariant(v) ? wholeFits(device, v, hidden / heads, 128) : tiledFits(device, v, hidden / heads);
  // The choice per shape, worked out once (the rule reads the device's limits, each read a call
  // into the GPU binding: a forward encodes the attention once a layer).
  const picked = new Map<string, AttentionKernel>();
  const pick = (batch: number, seq: number, liveHeads = heads) => {
    const shape = `${batch}x${seq}x${liveHeads}`;
    let kernel = picked.get(shape);
    if (kernel) return kernel;
    const name = autoAttentionVariant(batch, seq, heads, { stride: qkv.stride, fits, liveHeads });
    kernel = kernels.get(name);
    if (!kernel) kernels.set(name, (kernel = createAttentionKernel(device, hidden, heads, qkv, name)));
    picked.set(shape, kernel);
    return kernel;
  };
  const any = pick(1, 1);
  return {
    layout: any.layout,
    variant,
    queriesPerGroup: (batch, seq, liveHeads) => pick(batch, seq, liveHeads).queriesPerGroup(batch, seq, liveHeads),
    encode: (pass, bindGroup, batch, seq, liveHeads, call) =>
      pick(batch, seq, liveHeads).encode(pass, bindGroup, batch, seq, liveHeads, call),
  };
}

/** `hp-lab bench attention --ablate`: the variant with the stages `ablation` names left out (wrong
 *  results by design), or null where its kind of kernel does not know that ablation (the tiled
 *  kernel: loads, scores, values; the written-out and blocked ones more; attention.wgsl none). */
export function createAblatedAttention(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout,
  variant: string,
  ablation: keyof typeof ABLATIONS,
): AttentionKernel | null {
  const bits = ABLATIONS[ablation];
  const wrap = (k: { layout: KernelLayout; shape: { qb: number }; encode: AttentionKernel['encode'] }) => ({
    layout: k.layout,
    variant,
    queriesPerGroup: () => k.shape.qb,
    encode: k.encode,
  });
  if (parseTiledVariant(variant))
    return (TILED_ABLATIONS as readonly string[]).includes(ablation)
      ? wrap(createTiledAttention(device, hidden, heads, qkv, variant, bits))
      : null;
  if (parseBlockedVariant(variant))
    return ablation === 'kread1' || ablation === 'vread1'
      ? null
      : wrap(createBlockedAttention(device, hidden, heads, qkv, variant, bits));
  if (parseSubgroupVariant(variant)) {
    if (ablation === 'kread1' || ablation === 'vread1') return null;
    const k = createSubgroupAttention(device, hidden, heads, qkv, variant, bits);
    return { layout: k.layout, variant, queriesPerGroup: () => k.qw, encode: k.encode };
  }
  if (parseWholeVariant(variant)) {
    if (ablation === 'kread1' || ablation === 'vread1') return null;
    const k = createWholeAttention(device, hidden, heads, qkv, variant, bits);
    return { layout: k.layout, variant, queriesPerGroup: (_b, seq) => k.queriesPerGroup(seq), encode: k.encode };
  }
  if (variant === 'auto' || !parseVariant(variant).unrolled) return null;
  return fixedAttentionKernel(device, hidden, heads, qkv, variant, bits);
}

function fixedAttentionKernel(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout,
  variant: string,
  ablate = 0,
): AttentionKernel {
  const parsed = parseVariant(variant);
  const { qpt, kc: kcWanted, splits, unrolled, rows2d, fmaChain, kt: ktFixed, qt: qtFixed } = parsed;
  const d = hidden / heads;
  const d4 = Math.ceil(d / 4);
  const limits = device.limits;
  // Keys per tile: 64 for small heads (fewer barriers), fewer for big heads (registers for the
  // scores, workgroup memory for K and V).
  const mergeSlots = splits > 1 ? MAX_SPLIT_THREADS * qpt : 1;
  const kvQuads = (kt: number) => Math.max(2 * kt, splits > 1 ? MAX_SPLIT_THREADS : 0) * d4;
  const storage = (kt: number) => kvQuads(kt) * 16 + kt * 4 + mergeSlots * 8;
  let kt = ktFixed ?? (d <= 32 ? 64 : d <= 64 ? 32 : 16);
  while (ktFixed === undefined && kt > 4 && storage(kt) > limits.maxComputeWorkgroupStorageSize) kt /= 2;
  if (storage(kt) > limits.maxComputeWorkgroupStorageSize)
    throw new GpuLimitError(`head size ${d} does not fit this device's workgroup memory`);
  const kc = Math.min(kcWanted, kt);
  const tiles = (qtFixed ? [qtFixed] : splits > 1 ? SPLIT_QUERY_TILES : QUERY_TILES).filter((qt) => {
    const threads = qt * splits;
    const fit = threads <= limits.maxComputeInvocationsPerWorkgroup && threads <= limits.maxComputeWorkgroupSizeX;
    return fit && (splits === 1 || threads <= MAX_SPLIT_THREADS);
  });
  if (tiles.length === 0)
    throw new GpuLimitError(`attention variant '${variant}' needs more threads than this device has`);
  const layout = attentionLayout(device);
  // One pipeline per query tile, looked up by number: building the source and its cache key on
  // every encode cost CPU time in each forward.
  const pipelines = new Map<number, GPUComputePipeline>();
  const pipelineFor = (qt: number) => {
    let pipeline = pipelines.get(qt);
    if (!pipeline) {
      const consts = {
        ...{ H: hidden, D: d, D4: d4, QT: qt, QPT: qpt, S: splits, KT: kt, KC: kc },
        ...{ KV: kvQuads(kt), ML: mergeSlots },
        ...{ STRIDE: qkv.stride, QO: qkv.q, KO: qkv.k, VO: qkv.v },
      };
      const label = `encoder.attention ${variant} qt=${qt}${ablate ? ` ablate=${ablate}` : ''}`;
      const prefetch = parsed.prefetch ? { threads: qt * splits, kt } : undefined;
      const body = unrolled
        ? unrolledAttentionWgsl(qpt, kc, splits, d, rows2d, ablate, fmaChain, prefetch)
        : attentionWgsl;
      pipeline = compilePipeline(device, layout, label, withConsts(consts, loadF32Wgsl, liveHeadWgsl, body));
      pipelines.set(qt, pipeline);
    }
    return pipeline;
  };
  const groups = (qt: number, batch: number, seq: number) => Math.ceil(seq / (qt * qpt)) * heads * batch;
  const threadsPerGroup = (batch: number, seq: number) =>
    tiles.find((qt) => groups(qt, batch, seq) >= MIN_GROUPS) ?? tiles[tiles.length - 1];
  return {
    layout,
    variant,
    queriesPerGroup: (batch, seq) => threadsPerGroup(batch, seq) * qpt,
    encode(pass, bindGroup, batch, seq, liveHeads = heads) {
      const qt = threadsPerGroup(batch, seq);
      pass.setPipeline(pipelineFor(qt));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / (qt * qpt)), liveHeads, batch);
    },
  };
}
