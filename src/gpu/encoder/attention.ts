// Fused multi-head attention kernel (attention.wgsl): where Q, K and V sit in their rows, tile
// sizes chosen for the head size and the device's workgroup memory, and queries per workgroup
// chosen per call so that few tokens still spread over many workgroups.
import attentionWgsl from './attention.wgsl?raw';
import { bindingLayout, compilePipeline, withConsts, type KernelLayout } from '../kernel';

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
  /** Queries per workgroup the call would use (reports, tests); each gets 128 / that threads. */
  queriesPerGroup(batch: number, seq: number): number;
  /** Queries per workgroup this device can run (QUERY_TILES that fit its limits). */
  readonly queryTiles: readonly number[];
  /** `queries` forces one of queryTiles (tests); by default queriesPerGroup decides. */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, batch: number, seq: number, queries?: number): void;
}

/** Q, K and V in three separate [tokens, hidden] buffers. */
export function separateQkv(hidden: number): QkvLayout {
  return { stride: hidden, q: 0, k: 0, v: 0 };
}

/** Enough workgroups to keep a large GPU busy before giving each query fewer threads. */
const MIN_GROUPS = 264;
/** Threads per workgroup: QT queries x (THREADS / QT) threads per query. */
const THREADS = 128;
/** Queries per workgroup, from the most to the fewest (then more threads per query): at B=32
 *  L=128 the first gives 1,536 workgroups; one sentence gets the last, 16 threads a query. */
const QUERY_TILES = [32, 16, 8];

interface TileShape {
  qt: number;
  s: number;
  kt: number;
  r: number;
  sh: number;
  storageBytes: number;
}

export function createAttentionKernel(
  device: GPUDevice,
  hidden: number,
  heads: number,
  qkv: QkvLayout = separateQkv(hidden),
): AttentionKernel {
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0)
    throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  const d = hidden / heads;
  const d4 = Math.ceil(d / 4);
  if (qkv.stride < hidden || [qkv.q, qkv.k, qkv.v].some((o) => o < 0 || o + hidden > qkv.stride))
    throw new RangeError(`Q/K/V layout ${JSON.stringify(qkv)} does not hold ${hidden} columns per row`);
  const limits = device.limits;
  // Keys per tile: up to 64 for small heads (fewer barriers), fewer for big heads (workgroup
  // memory for K and V), a multiple of the threads per query; per call no more than the
  // sequence needs (a power of two), so short sentences do not stream padding. The merge reuses
  // the K/V tiles' memory for R head components at a time.
  const of = (qt: number, kt: number): TileShape => {
    const s = THREADS / qt;
    const tile = 2 * kt * d4;
    const r = Math.max(1, Math.min(d4, Math.floor(tile / THREADS)));
    const sh = Math.max(tile, THREADS * r);
    return { qt, s, kt, r, sh, storageBytes: sh * 16 + kt * 4 + 2 * THREADS * 4 };
  };
  const fits = (t: TileShape) => t.storageBytes <= limits.maxComputeWorkgroupStorageSize;
  /** The largest key tile of each query tile that fits the device. */
  const largest = (qt: number): TileShape | null => {
    const s = THREADS / qt;
    let kt = Math.max(s, d <= 32 ? 64 : d <= 64 ? 32 : 16);
    while (kt > s && !fits(of(qt, kt))) kt /= 2;
    return fits(of(qt, kt)) ? of(qt, kt) : null;
  };
  const fitsThreads = THREADS <= limits.maxComputeInvocationsPerWorkgroup && THREADS <= limits.maxComputeWorkgroupSizeX;
  const shapes = fitsThreads ? QUERY_TILES.map(largest).filter((t): t is TileShape => t !== null) : [];
  if (shapes.length === 0)
    throw new RangeError(`head size ${d} does not fit this device's workgroup memory or ${THREADS}-thread workgroups`);
  const layout = bindingLayout(device, 'encoder.attention', ['uniform', 'read', 'read', 'read', 'read', 'write']);
  const pipelines = new Map<string, GPUComputePipeline>();
  const pipelineFor = (t: TileShape) => {
    const key = `${t.qt}x${t.kt}`;
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      const consts = {
        H: hidden,
        D: d,
        D4: d4,
        QT: t.qt,
        S: t.s,
        KPT: t.kt / t.s,
        KT: t.kt,
        R: t.r,
        SH: t.sh,
        STRIDE: qkv.stride,
        QO: qkv.q,
        KO: qkv.k,
        VO: qkv.v,
      };
      const label = `encoder.attention qt=${t.qt} s=${t.s} kt=${t.kt}`;
      pipelines.set(key, (pipeline = compilePipeline(device, layout, label, withConsts(consts, attentionWgsl))));
    }
    return pipeline;
  };
  /** The key tile for `seq`: the smallest power-of-two multiple of S that holds it, at most the largest. */
  const forSeq = (t: TileShape, seq: number): TileShape => {
    let kt = t.s;
    while (kt < seq && kt < t.kt) kt *= 2;
    return of(t.qt, Math.min(kt, t.kt));
  };
  const tileFor = (batch: number, seq: number) =>
    shapes.find((t) => Math.ceil(seq / t.qt) * heads * batch >= MIN_GROUPS) ?? shapes[shapes.length - 1];
  return {
    layout,
    queryTiles: shapes.map((t) => t.qt),
    queriesPerGroup: (batch, seq) => tileFor(batch, seq).qt,
    encode(pass, bindGroup, batch, seq, queries) {
      const t = queries === undefined ? tileFor(batch, seq) : shapes.find((x) => x.qt === queries);
      if (!t)
        throw new RangeError(`attention: ${queries} queries per workgroup is not one of ${QUERY_TILES.join(', ')}`);
      pass.setPipeline(pipelineFor(forSeq(t, seq)));
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(seq / t.qt), heads, batch);
    },
  };
}
