// The one rule that decides which variant of a linear kernel runs for a call: the register
// tile of the dense kernel, the token block of the HP kernel, or either kernel's few-token
// subgroup variant. Pure (no WGSL, no GPU calls): the runners (dense-linear.ts, hp-linear.ts)
// ask it per call, and the page describes the choice (describeKernelVariants) without loading
// the kernels. Thresholds come from the H200 measurements in BENCHMARKS.md (Kernels).
import type { GpuCapabilities } from '../adapter';
import { GpuLimitError } from '../limits';

// ---- the few-token subgroup variants (subgroup-variant.ts builds their dispatches) ----

/** The tile name reports and `tile` options use for the subgroup variants. */
export const SUBGROUP_TILE = 'subgroup';
/** Largest token count the automatic choice sends to each kernel's subgroup variant, from the
 *  H200 crossovers (BENCHMARKS.md, Kernels: few tokens). Dense: up to `dense` tokens, and up
 *  to `denseNarrow` when out <= in (few outputs leave the tiled kernel few workgroups; at 128
 *  tokens the subgroup variant won on 1200->312 and 312->312 and lost 8 % on 312->1200).
 *  HP's lanes split the Q = m*k kept columns of a tile-row, so it pays up to `hp` tokens only
 *  when Q fills two subgroups of 32 (Q >= HP_SUBGROUP_MIN_KEPT), up to `hpFewKept` otherwise. */
export const SUBGROUP_MAX_TOKENS = { dense: 64, denseNarrow: 128, hp: 128, hpFewKept: 4 } as const;
export const HP_SUBGROUP_MIN_KEPT = 64;
/** HP's variant also wants wide subgroups (adapter's subgroupMinSize): on SwiftShader's 4-lane
 *  subgroups it ran 1.7-1.9x slower than the tiled kernel at 32 and 128 tokens, while on the
 *  H200's 32 lanes it was up to 2.2x faster. The dense variant won on both. */
export const HP_SUBGROUP_MIN_LANES = 16;

// ---- the dense kernel's register tiles ----

/** Threads wx x wy; each computes (4*rm) x (4*rn) outputs; bk = K-step. */
export interface DenseTileConfig {
  name: string;
  wx: number;
  wy: number;
  rm: number;
  rn: number;
  bk: number;
  /** Workgroup tiles as 2-D arrays indexed [k][column] (dense-linear.wgsl, LDS2D). */
  lds2d?: boolean;
}

/** Tile specs beyond DENSE_TILES' names (benchmarks, experiments): `BMxBN/TMxTN[/kBK][/2d]`,
 *  a BM x BN block of TM x TN outputs a thread (multiples of 4), K-step BK (default 16, a
 *  multiple of 4), '/2d': workgroup tiles as 2-D arrays (dense-linear.wgsl, LDS2D). */
const TILE_SPEC = /^(\d+)x(\d+)\/(\d+)x(\d+)((?:\/k\d+|\/2d)*)$/;

/** The tile named `name`: one of DENSE_TILES, or a spec (TILE_SPEC); undefined if neither. */
export function parseDenseTile(name: string): DenseTileConfig | undefined {
  const known = DENSE_TILES.find((t) => t.name === name);
  if (known) return known;
  const m = TILE_SPEC.exec(name);
  if (!m) return undefined;
  const [bm, bn, tm, tn] = m.slice(1, 5).map(Number);
  const bk = Number(/\/k(\d+)/.exec(m[5])?.[1] ?? 16);
  if ([tm, tn, bk].some((v) => v < 4 || v % 4 !== 0) || bm % tm !== 0 || bn % tn !== 0) return undefined;
  const lds2d = m[5].includes('/2d');
  return { name, wx: bn / tn, wy: bm / tm, rm: tm / 4, rn: tn / 4, bk, ...(lds2d ? { lds2d } : {}) };
}

/** Outputs per thread of a tile: (4*rm) x (4*rn). */
const perThread = (c: DenseTileConfig) => 16 * c.rm * c.rn;

/** The 4x4-per-thread tiles (256 or 128 threads) and the 8x8-per-thread ones (the 128x128 of
 *  4096³ and smaller blocks of 128, 64 and 32 threads for the skinny TinyBERT shapes: a quarter
 *  of the workgroup-memory reads per multiply-add). Names: rows x columns of the block, then
 *  '/8x8' where a block size exists with both. */
export const DENSE_TILES: readonly DenseTileConfig[] = [
  { name: '128x128', wx: 16, wy: 16, rm: 2, rn: 2, bk: 16 },
  { name: '128x64', wx: 16, wy: 16, rm: 2, rn: 1, bk: 16 },
  { name: '64x64', wx: 16, wy: 16, rm: 1, rn: 1, bk: 16 },
  { name: '32x64', wx: 16, wy: 8, rm: 1, rn: 1, bk: 16 },
  { name: '64x128', wx: 16, wy: 8, rm: 2, rn: 2, bk: 16 },
  { name: '64x64/8x8', wx: 8, wy: 8, rm: 2, rn: 2, bk: 16 },
  { name: '32x64/8x8', wx: 8, wy: 4, rm: 2, rn: 2, bk: 16 },
  // 2-D workgroup tiles (LDS2D): the automatic choice's (AUTO_WIDE, AUTO_NARROW).
  { name: '128x128/8x8/2d', wx: 16, wy: 16, rm: 2, rn: 2, bk: 16, lds2d: true },
  { name: '128x64/8x8/2d', wx: 8, wy: 16, rm: 2, rn: 2, bk: 16, lds2d: true },
  { name: '128x64/8x4/2d', wx: 16, wy: 16, rm: 2, rn: 1, bk: 16, lds2d: true },
  { name: '64x64/8x8/2d', wx: 8, wy: 8, rm: 2, rn: 2, bk: 16, lds2d: true },
  { name: '64x64/8x4/2d', wx: 16, wy: 8, rm: 2, rn: 1, bk: 16, lds2d: true },
  { name: '32x64/4x4/2d', wx: 16, wy: 8, rm: 1, rn: 1, bk: 16, lds2d: true },
];

/** The tiles the automatic choice takes, in its order of preference (largest block first):
 *  8x8 outputs a thread for products of WIDE_THREAD_OUTPUTS outputs or more, the rest below.
 *  On the H200 at 4096 tokens each beat the 1-D tile of its block (BENCHMARKS.md, issue 19 sixth
 *  pass): 128x128 0.078 -> 0.071 ms on 312->936 and 3.80 -> 3.54 on 4096³, 32x64 4x4 0.135 ->
 *  0.113 on 1200->312; the exception, 64x128 (0.084 -> 0.111 on 312->936), is left out. The
 *  128x64 block takes 8x4 outputs a thread, not 8x8: on 312->1200 alone 0.395 against 0.408 ms for
 *  4 layers, but in the B=32 L=128 forward 1.516 against 1.647 ms (the 8x8 tile's FFN-in cost 0.10
 *  ms more in the forward than alone; issue 19 eighth pass). Q/K/V (312->936) keeps 128x128/8x8:
 *  in the forward 128x128/8x4, 128x96/8x4 and 128x96/8x8 took 0.351 / 0.374 / 0.447 ms against
 *  0.284, and widths that divide the outputs (104 for 936, 52 for 312) lose the swizzle and cost
 *  1.5-1.9x alone (ninth pass). */
const AUTO_WIDE = ['128x128/8x8/2d', '128x64/8x4/2d', '64x64/8x8/2d'];
const AUTO_NARROW = ['64x64/8x4/2d', '32x64/4x4/2d'];

/** The automatic choice (the tile list of AUTO_WIDE, else AUTO_NARROW):
 *  - wide products (>= WIDE_THREAD_OUTPUTS outputs): the largest block whose workgroups fill the
 *    reference GPU's last wave at least WAVE_FILL full, else the largest with MIN_WORKGROUPS_WIDE
 *    workgroups, else the smallest. H200, 4096 tokens: 312->936 128x128 (256 workgroups, one wave
 *    of 2 per multiprocessor) 0.071 ms vs 128x64 0.096; 312->1200 128x128 (320: 1.2 waves) 0.115
 *    vs 128x64 (608, 8x8 a thread) 0.100, 8x4 (608 of 256 threads) 0.098; 4096³ 128x128 (1024: 3.9 waves).
 *  - the rest: the largest block with MIN_WORKGROUPS_NARROW workgroups, else the smallest. H200,
 *    4096 tokens: 1200->312 64x64 8x4 (320) 0.109 vs 32x64 4x4 0.113; 312->312 0.033 vs 0.034;
 *    2048 tokens: 1200->312 64x64 8x4 (160) 0.078 vs 32x64 4x4 0.072; 1024 tokens: 312->936
 *    64x64 8x4 (240) 0.024 vs 0.028. */
const WIDE_THREAD_OUTPUTS = 2 * 1024 * 1024;
const MIN_WORKGROUPS_WIDE = 512;
const MIN_WORKGROUPS_NARROW = 192;
/** The reference GPU of the wave rule, the H200 (WebGPU does not expose a GPU's size): 132
 *  multiprocessors, each holding 512 threads of the 8x8 tiles (~128 registers a thread of 64K). */
const REFERENCE_MULTIPROCESSORS = 132;
const REFERENCE_THREADS = 512;
const WAVE_FILL = 0.75;

/** How full the last wave of `groups` workgroups of `threads` threads is on the reference GPU. */
export function waveFill(groups: number, threads: number): number {
  const wave = REFERENCE_MULTIPROCESSORS * Math.max(1, Math.floor(REFERENCE_THREADS / threads));
  return groups / (Math.ceil(groups / wave) * wave);
}

/** The largest tile (dense) or token block (HP) that still yields this many workgroups is
 *  used. On the H200 (132 SMs) 256 left the TinyBERT FFN shapes on 128x128 tiles in 2.4
 *  waves, 16 % slower than 64x64, and gave HP's FFN-in shape (38 tile-rows) 'wide' blocks, 40 %
 *  slower than 'mid'; 1024 picks the fastest measured config for every shape in BENCHMARKS.md
 *  (Kernels) and still gives 4096³ its 128x128 tiles. WebGPU does not expose the GPU's size. */
const MIN_WORKGROUPS = 1024;

export function denseTileStorage(c: DenseTileConfig): number {
  return (c.bk * (c.wy * 4 * c.rm) + c.bk * (c.wx * 4 * c.rn)) * 4;
}

function denseFits(limits: GPUSupportedLimits, c: DenseTileConfig): boolean {
  return (
    c.wx * c.wy <= limits.maxComputeInvocationsPerWorkgroup &&
    c.wx <= limits.maxComputeWorkgroupSizeX &&
    c.wy <= limits.maxComputeWorkgroupSizeY &&
    denseTileStorage(c) <= limits.maxComputeWorkgroupStorageSize
  );
}

/** Register tiles worth compiling on this adapter. Software adapters (SwiftShader) get only
 *  the 4x4-per-thread tiles: their shader compiler takes many seconds on the 8x8 tiles' 64
 *  unrolled accumulators (a test over the 8x8 tiles did not finish in 15 min on this project's
 *  shared 2-core machine) and can crash the GPU process on them, and a CPU gains nothing from
 *  GPU-sized register tiles. The 8x8 tiles are verified on real GPUs (`hp-lab bench verify`). */
export function denseTilesFor(caps: Pick<GpuCapabilities, 'isFallbackAdapter'>): readonly DenseTileConfig[] {
  return caps.isFallbackAdapter ? DENSE_TILES.filter((c) => perThread(c) === 16) : DENSE_TILES;
}

export function pickDenseTile(
  limits: GPUSupportedLimits,
  tokens: number,
  nOut: number,
  forced?: string,
  tiles: readonly DenseTileConfig[] = DENSE_TILES,
): DenseTileConfig {
  const usable = tiles.filter((c) => denseFits(limits, c));
  if (forced) {
    const c = parseDenseTile(forced);
    if (!c) {
      const have = DENSE_TILES.map((t) => t.name).join(', ');
      throw new RangeError(`unknown dense tile '${forced}' (have ${have}, or a spec BMxBN/TMxTN[/kBK][/2d])`);
    }
    const soft = !tiles.some((t) => perThread(t) > 16);
    if (DENSE_TILES.includes(c) ? !tiles.includes(c) : soft && perThread(c) > 16) {
      const have = tiles.map((t) => t.name).join(', ');
      throw new GpuLimitError(`dense tile '${forced}' is not used on this adapter (software adapters: ${have})`);
    }
    if (!denseFits(limits, c)) throw new GpuLimitError(`dense tile '${forced}' exceeds this device's workgroup limits`);
    return c;
  }
  if (usable.length === 0) {
    throw new RangeError('no dense tile config fits this device (maxComputeInvocationsPerWorkgroup < 128?)');
  }
  const groups = (c: DenseTileConfig) => Math.ceil(tokens / (c.wy * 4 * c.rm)) * Math.ceil(nOut / (c.wx * 4 * c.rn));
  const pick = (names: string[]) => names.flatMap((n) => usable.filter((c) => c.name === n));
  const wideTiles = pick(AUTO_WIDE);
  if (tokens * nOut >= WIDE_THREAD_OUTPUTS && wideTiles.length > 0) {
    return (
      wideTiles.find((c) => waveFill(groups(c), c.wx * c.wy) >= WAVE_FILL) ??
      wideTiles.find((c) => groups(c) >= MIN_WORKGROUPS_WIDE) ??
      wideTiles[wideTiles.length - 1]
    );
  }
  // An adapter whose limits leave none of AUTO_NARROW: the first usable tile (DENSE_TILES' order)
  // with enough workgroups.
  const narrowTiles = pick(AUTO_NARROW);
  const list = narrowTiles.length > 0 ? narrowTiles : usable;
  return list.find((c) => groups(c) >= MIN_WORKGROUPS_NARROW) ?? list[list.length - 1];
}

/** Statistics slots a row of the deferred LayerNorm over `hidden` values (dense-linear.wgsl
 *  STATS_OUT: one a workgroup column of at least 32 outputs). */
export function deferredSlots(hidden: number): number {
  return Math.ceil(hidden / 32);
}

// ---- split-K: the K-range in slices, for few output tiles over a long K ----

/** Most slices a split-K linear takes; each slice keeps at least MIN_SPLIT_K inputs. H200, 4096
 *  tokens (BENCHMARKS.md, issue 19 fifth pass): FFN-out 1200->312 in 4 slices of 64x64/8x8 0.111
 *  ms against 0.135 unsplit (32x64), 3 slices 0.121; the 312-wide inputs stay whole (attention
 *  output in 2 slices: 0.036 against 0.039 ms, about what the LayerNorm pays to add them). */
export const MAX_SPLIT_K = 4;
const MIN_SPLIT_K = 300;

/** A linear's split-K setting: a slice count for every call; 'auto' (pickDenseSplit's
 *  workgroup-count rule); 'engine': the encoder's default, ENGINE_SPLIT_PARTS slices from
 *  ENGINE_SPLIT_FROM_TOKENS tokens a call, else unsplit. */
export type SplitK = number | 'auto' | 'engine';

/** The encoder's default split of its dense attention-output and FFN-out linears. H200, dense
 *  B=32 L=128 forward, same call (BENCHMARKS.md, issue 19 eleventh pass): unsplit 1.5073 ms
 *  (before and after), 2 slices 1.4909 (attention output 0.131 -> 0.124, FFN-out 0.434 -> 0.419,
 *  the LayerNorms adding the slices 0.043 -> 0.047), 'auto' 1.5483. Below 4096 tokens: not measured,
 *  so unsplit as before. */
export const ENGINE_SPLIT_FROM_TOKENS = 4096;
export const ENGINE_SPLIT_PARTS = 2;

/** The most slices a split-K setting can give a call (the engine sizes its buffers by it). */
export function maxSplitParts(splitK: SplitK): number {
  if (splitK === 'auto') return MAX_SPLIT_K;
  return splitK === 'engine' ? ENGINE_SPLIT_PARTS : splitK;
}

/** The slice count a split-K setting forces for `tokens` (undefined: 'auto' decides). */
export function forcedSplitParts(splitK: SplitK | undefined, tokens: number): number | undefined {
  if (splitK === undefined) return 1;
  if (splitK === 'auto') return undefined;
  if (splitK === 'engine') return tokens >= ENGINE_SPLIT_FROM_TOKENS ? ENGINE_SPLIT_PARTS : 1;
  return splitK;
}

/** Inputs per slice for `parts` slices of K (a multiple of the K-step), and the slices that
 *  actually have inputs. */
export function splitGeometry(nIn: number, parts: number, bk: number): { ks: number; parts: number } {
  const ks = Math.ceil(Math.ceil(nIn / parts) / bk) * bk;
  return { ks, parts: Math.max(1, Math.ceil(nIn / ks)) };
}

/** The tile and K-slices of a split-K linear (`forcedParts`: a count; else chosen): the largest
 *  block of more than 4x4 outputs a thread that, with the fewest slices (2 or more) of at least
 *  MIN_SPLIT_K inputs, yields MIN_WORKGROUPS workgroups; else pickDenseTile's tile unsplit. */
export function pickDenseSplit(
  limits: GPUSupportedLimits,
  tokens: number,
  shape: { in: number; out: number },
  forcedTile: string | undefined,
  forcedParts: number | undefined,
  tiles: readonly DenseTileConfig[] = DENSE_TILES,
): { tile: DenseTileConfig; parts: number } {
  const groups = (c: DenseTileConfig) =>
    Math.ceil(tokens / (c.wy * 4 * c.rm)) * Math.ceil(shape.out / (c.wx * 4 * c.rn));
  if (forcedParts !== undefined) {
    const tile = pickDenseTile(limits, tokens, shape.out, forcedTile, tiles);
    return { tile, parts: splitGeometry(shape.in, forcedParts, tile.bk).parts };
  }
  const maxParts = Math.min(MAX_SPLIT_K, Math.floor(shape.in / MIN_SPLIT_K));
  const candidates = forcedTile
    ? [pickDenseTile(limits, tokens, shape.out, forcedTile, tiles)]
    : tiles.filter((c) => denseFits(limits, c) && perThread(c) > 16).sort((a, b) => b.wx * b.wy - a.wx * a.wy);
  for (const c of candidates)
    for (let parts = 2; parts <= maxParts; parts++)
      if (groups(c) * parts >= MIN_WORKGROUPS) return { tile: c, parts: splitGeometry(shape.in, parts, c.bk).parts };
  return { tile: pickDenseTile(limits, tokens, shape.out, forcedTile, tiles), parts: 1 };
}

// ---- the HP kernel's token blocks ----

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

function hpFits(limits: GPUSupportedLimits, g: HPTileGeometry): boolean {
  return (
    g.threads <= limits.maxComputeInvocationsPerWorkgroup &&
    g.wx <= limits.maxComputeWorkgroupSizeX &&
    g.wy <= limits.maxComputeWorkgroupSizeY &&
    g.storageBytes <= limits.maxComputeWorkgroupStorageSize
  );
}

export function pickHPTile(
  limits: GPUSupportedLimits,
  tr: number,
  tokens: number,
  tileRows: number,
  forced?: string,
): HPTileGeometry {
  const usable = HP_TILES.map((c) => hpGeometry(tr, c)).filter(
    (g): g is HPTileGeometry => g !== null && hpFits(limits, g),
  );
  if (forced) {
    const g = usable.find((u) => u.config.name === forced);
    if (!g) {
      const names = usable.map((u) => u.config.name).join(', ');
      throw new GpuLimitError(
        `HP tile '${forced}' is unknown or does not fit Tr=${tr} on this device (usable: ${names})`,
      );
    }
    return g;
  }
  if (usable.length === 0) throw new RangeError(`no HP tile config fits Tr=${tr} on this device`);
  for (const g of usable) if (tileRows * Math.ceil(tokens / g.bt) >= MIN_WORKGROUPS) return g;
  return usable[usable.length - 1];
}

// ---- the choice for one call ----

/** What the rule needs to know of the device: its limits, whether it is a software adapter,
 *  whether it was created with the 'subgroups' feature, and its narrowest subgroup. */
export interface VariantDevice {
  limits: GPUSupportedLimits;
  caps: Pick<GpuCapabilities, 'isFallbackAdapter' | 'subgroupMinSize'>;
  subgroups: boolean;
}

export type DenseVariant = { kind: 'subgroup' } | { kind: 'tile'; tile: DenseTileConfig; parts: number };
export type HPVariant = { kind: 'subgroup' } | { kind: 'tile'; geometry: HPTileGeometry };

/** The dense kernel's variant for `tokens` rows of an in -> out layer (`forced`: a tile name;
 *  `label` starts the error when the forced variant cannot run here). */
export function denseVariant(
  dev: VariantDevice,
  shape: { in: number; out: number },
  tokens: number,
  forced?: string,
  label = 'dense linear',
  splitK?: SplitK,
): DenseVariant {
  // The subgroup variant reads vec4 rows, so it needs in % 4 == 0 as well as the feature.
  const subgroups = dev.subgroups && shape.in % 4 === 0;
  if (forced === SUBGROUP_TILE) {
    if (!subgroups) {
      const need = "the 'subgroups' device feature and in % 4 == 0";
      throw new RangeError(`${label}: the '${SUBGROUP_TILE}' variant needs ${need}`);
    }
    return { kind: 'subgroup' };
  }
  const max = shape.out <= shape.in ? SUBGROUP_MAX_TOKENS.denseNarrow : SUBGROUP_MAX_TOKENS.dense;
  if (!forced && subgroups && tokens <= max) return { kind: 'subgroup' };
  const tiles = denseTilesFor(dev.caps);
  const forcedParts = forcedSplitParts(splitK, tokens);
  if (forcedParts === 1)
    return { kind: 'tile', tile: pickDenseTile(dev.limits, tokens, shape.out, forced, tiles), parts: 1 };
  return { kind: 'tile', ...pickDenseSplit(dev.limits, tokens, shape, forced, forcedParts, tiles) };
}

/** The HP kernel's variant for `tokens` rows of a matrix with tile height `tr`, `tileRows`
 *  tile-rows and `kept` = m*k kept columns per tile-row. Forced, the subgroup variant needs only
 *  the feature (tests run it on narrow subgroups); chosen automatically, wide subgroups too. */
export function hpVariant(
  dev: VariantDevice,
  shape: { tr: number; tileRows: number; kept: number },
  tokens: number,
  forced?: string,
  label = 'hp linear',
): HPVariant {
  if (forced === SUBGROUP_TILE) {
    if (!dev.subgroups) {
      throw new RangeError(`${label}: the '${SUBGROUP_TILE}' variant needs the 'subgroups' device feature`);
    }
    return { kind: 'subgroup' };
  }
  const wide = (dev.caps.subgroupMinSize ?? 0) >= HP_SUBGROUP_MIN_LANES;
  const max = shape.kept >= HP_SUBGROUP_MIN_KEPT ? SUBGROUP_MAX_TOKENS.hp : SUBGROUP_MAX_TOKENS.hpFewKept;
  if (!forced && dev.subgroups && wide && tokens <= max) return { kind: 'subgroup' };
  return { kind: 'tile', geometry: pickHPTile(dev.limits, shape.tr, tokens, shape.tileRows, forced) };
}

/** The variant's name in reports (`GpuLinear.tileFor`). */
export function variantName(v: DenseVariant | HPVariant): string {
  if (v.kind === 'subgroup') return SUBGROUP_TILE;
  if ('tile' in v) return v.parts > 1 ? `${v.tile.name} k/${v.parts}` : v.tile.name;
  return v.geometry.config.name;
}

// ---- the same rule, in words, for the GPU panel ----

type DescribedCaps = Pick<
  GpuCapabilities,
  'isFallbackAdapter' | 'hasSubgroups' | 'subgroupMinSize' | 'subgroupMaxSize' | 'hasF16'
>;

/** The linear kernels' variants an adapter gets, in words. */
export function describeKernelVariants(caps: DescribedCaps): string[] {
  const software = caps.isFallbackAdapter ? ' (software adapter)' : '';
  const lines = [`f32 register tiles up to ${denseTilesFor(caps)[0].name}${software}`];
  if (caps.hasSubgroups) {
    const { subgroupMinSize: min, subgroupMaxSize: max } = caps;
    const lanes = min ? `${min === max || !max ? min : `${min}–${max}`} lanes` : 'width unknown';
    const hp = (min ?? 0) >= HP_SUBGROUP_MIN_LANES;
    const which = hp ? 'dense and HP variants' : `dense variant (HP's needs ${HP_SUBGROUP_MIN_LANES}+ lanes)`;
    lines.push(`subgroups (${lanes}): few-token ${which}`);
  } else {
    lines.push('no subgroups: tiled kernels at every token count');
  }
  lines.push('f16 weights optional (half the memory, f32 math)');
  if (caps.hasF16) lines.push('shader-f16 present but unused (no f16-math variant)');
  return lines;
}
