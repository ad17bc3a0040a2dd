// The last layer's HP output linears on the [CLS] rows in one dispatch (tail-hp.wgsl): attention
// output, residual + LayerNorm, FFN-in + GELU and FFN-out's partial sums by slice of FFN's
// intermediate, which the head adds before the last LayerNorm (head.ts withLayerNorm, `slices`
// parts); the engine's rowsBlock runs it on every token row of an earlier layer too. The kernel holds
// its own copy of the three linears' kept columns and weights (f32), and one pipeline and FFN-out
// range table a slice count, made on first use.
import tailWgsl from './tail-hp.wgsl?raw';
import rowNormWgsl from './row-norm.wgsl?raw';
import epilogueWgsl from '../kernels/epilogue.wgsl?raw';
import type { HPMatrix } from '../../core/formats/hp';
import type { EncoderLayer } from '../../core/model/bert-types';
import { keptColumnIndices, tileGrid } from '../../core/formats/hp';
import { expandWgsl } from '../kernels/wgsl-template';
import { bindBuffers, bindingLayout, compilePipeline, concatF32, uploadBuffer, withConsts } from '../kernel';
import { GpuLimitError } from '../limits';

const WG = 256;
/** Kept columns a thread loads at once (tail-hp.wgsl UN). */
const UNROLL = 4;
/** Workgroups a call aims at (batch x slices, at most 16 slices) where no slice count is given, so each
 *  row's FFN weights are read through several SMs. H200, HP 90 %, B=32 L=128 (BENCHMARKS.md, issue 19
 *  eighteenth pass), the kernel loading 8 columns at once: 4 slices 13.6 us, 8 12.8, 16 12.4; at 4 slices
 *  1 column at once 16.4, 4 12.9, 16 16.6; 16 slices loading 4 (the defaults) 11.7. */
const TARGET_GROUPS = 512;

/** The last layer's output side: its three HP linears with their biases and the LayerNorm between. */
export interface TailLayer {
  attnOut: { hp: HPMatrix; bias: Float32Array };
  ffnIn: { hp: HPMatrix; bias: Float32Array };
  ffnOut: { hp: HPMatrix; bias: Float32Array };
  /** The first residual + LayerNorm's gamma and beta. */
  gamma: Float32Array;
  beta: Float32Array;
}

/** The buffers a call binds: uniform {rows, _, eps, _}, the [CLS] rows' context and x, and what it
 *  writes: h (rows x H) and the partial sums a (slices blocks of rows x H). */
export interface TailBuffers {
  params: GPUBuffer;
  ctx: GPUBuffer;
  x: GPUBuffer;
  h: GPUBuffer;
  a: GPUBuffer;
}

export interface HpTail {
  /** Slices a call of `rows` [CLS] rows runs (the head's parts). */
  slicesFor(rows: number): number;
  /** The most slices a call may take (FFN-in's tile-rows, at most `maxSlices`). */
  readonly maxSlices: number;
  /** Records the tail for `rows` rows on `buffers` (bind groups cached per buffers and slices). */
  encode(pass: GPUComputePassEncoder, buffers: TailBuffers, rows: number): void;
  /** Bytes of its own copy of the layer's output-side weights, kept columns and vectors on the GPU
   *  (beside the linears' buffers), and of the slice tables built so far. */
  readonly weightBytes: number;
  /** Its kept columns, weights and biases (what a prefetch reads into the cache; the kernel owns them). */
  readonly weights: readonly GPUBuffer[];
  destroy(): void;
}

/** A layer's output side where its three output linears are HP (in `sparse`, by name), else null. */
export function wholeTailLayer(layer: EncoderLayer, sparse: ReadonlyMap<string, HPMatrix>): TailLayer | null {
  const [attnOut, ffnIn, ffnOut] = [layer.attnOut, layer.ffnIn, layer.ffnOut].map((l) => {
    const hp = sparse.get(l.name);
    return hp ? { hp, bias: l.bias } : null;
  });
  if (!attnOut || !ffnIn || !ffnOut) return null;
  return { attnOut, ffnIn, ffnOut, gamma: layer.ln1.gamma, beta: layer.ln1.beta };
}

/** Whether the tail kernel takes these linears: HP, one tile height (a multiple of 4), the shapes of
 *  a BERT layer's output side. */
export function tailFits(layer: Omit<TailLayer, 'gamma' | 'beta'>, hidden: number, ffn: number): boolean {
  const { attnOut, ffnIn, ffnOut } = layer;
  const tr = attnOut.hp.tr;
  return (
    [attnOut, ffnIn, ffnOut].every((l) => l.hp.tr === tr) &&
    tr % 4 === 0 &&
    attnOut.hp.out === hidden &&
    attnOut.hp.in === hidden &&
    ffnIn.hp.out === ffn &&
    ffnIn.hp.in === hidden &&
    ffnOut.hp.out === hidden &&
    ffnOut.hp.in === ffn
  );
}

/** FFN-out tile-row r's kept columns whose input lies in slice s (`width` inputs a slice; none past
 *  `inputs`, where only zero padding is kept): [lo, hi) at 2 * (r * slices + s). */
export function sliceRanges(cols: Uint32Array, q: number, slices: number, width: number, inputs: number): Uint32Array {
  const tileRows = cols.length / q;
  const ranges = new Uint32Array(Math.max(2, 2 * tileRows * slices));
  for (let r = 0; r < tileRows; r++) {
    let k = 0;
    for (let s = 0; s < slices; s++) {
      const end = Math.min((s + 1) * width, inputs);
      ranges[2 * (r * slices + s)] = k;
      while (k < q && cols[r * q + k] < end) k++;
      ranges[2 * (r * slices + s) + 1] = k;
    }
  }
  return ranges;
}

/** The three linears' tile height (and in vec4s), kept columns a tile-row and tile-rows. */
function tailShape({ attnOut, ffnIn, ffnOut }: TailLayer) {
  const [qa, qf, qo] = [attnOut, ffnIn, ffnOut].map((l) => l.hp.m * l.hp.k);
  const [ta, tf, to] = [attnOut, ffnIn, ffnOut].map((l) => tileGrid(l.hp).tileRows);
  return { tr: attnOut.hp.tr, tr4: attnOut.hp.tr / 4, qa, qf, qo, ta, tf, to };
}

/** The most slices a call may take: `maxSlices`, at most FFN-in's tile-rows. */
const sliceCap = (layer: TailLayer, maxSlices: number) =>
  Math.max(1, Math.min(maxSlices, tileGrid(layer.ffnIn.hp).tileRows));

/** A slice count's FFN-in tile-rows a slice, parts of each phase's kept columns (the threads a phase
 *  has over its units, at least 4 columns a part) and workgroup memory (vin, part, row-norm's red). */
function tailGeometry(layer: TailLayer, hidden: number, s: number) {
  const { attnOut, ffnIn } = layer;
  const { tr, tr4, qa, qf, qo, ta, tf, to } = tailShape(layer);
  const fs = Math.ceil(tf / s);
  const parts = (units: number, q: number) => Math.max(1, Math.min(Math.floor(WG / units), Math.ceil(q / 4)));
  const [pa, pf, po] = [parts(ta * tr4, qa), parts(fs * tr4, qf), parts(to * tr4, Math.ceil(qo / s))];
  // Inputs padded to whole tiles read zeros past the row (vin).
  const padded = (n: number, tc: number) => Math.ceil(n / tc) * tc;
  const vin = Math.max(padded(hidden, attnOut.hp.tc), padded(hidden, ffnIn.hp.tc), fs * tr);
  const part = Math.max(ta * tr4 * pa, fs * tr4 * pf, to * tr4 * po);
  return { fs, pa, pf, po, vin, part, bytes: 4 * (vin + 4 * part + WG) };
}

/** The fewest slices (fewer hold more of FFN's intermediate a workgroup) up to maxSlices whose workgroup
 *  memory fits `limits`, or null where none does. */
export function fewestSlices(
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>,
  layer: TailLayer,
  hidden: number,
  maxSlices: number,
): number | null {
  for (let s = 1; s <= maxSlices; s++)
    if (tailGeometry(layer, hidden, s).bytes <= limits.maxComputeWorkgroupStorageSize) return s;
  return null;
}

/** Whether createHpTail takes this layer on a device with `limits` (tailFits, and a slice count whose
 *  workgroup memory fits). */
export function hpTailFits(
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize'>,
  layer: TailLayer,
  hidden: number,
  ffn: number,
  maxSlices: number,
): boolean {
  return tailFits(layer, hidden, ffn) && fewestSlices(limits, layer, hidden, sliceCap(layer, maxSlices)) !== null;
}

export function createHpTail(
  device: GPUDevice,
  layer: TailLayer,
  hidden: number,
  ffn: number,
  opts: { slices?: number; maxSlices: number; unroll?: number },
): HpTail {
  if (!tailFits(layer, hidden, ffn)) throw new RangeError('the HP tail needs HP output linears of one tile height');
  const { attnOut, ffnIn, ffnOut } = layer;
  const unroll = opts.unroll ?? UNROLL;
  if (!(Number.isInteger(unroll) && unroll >= 1 && unroll <= 16))
    throw new RangeError(`tail unroll must be an integer in 1..16, got ${unroll}`);
  const { tr, tr4, qa, qf, qo, ta, tf, to } = tailShape(layer);
  const cols = [attnOut, ffnIn, ffnOut].map((l) => keptColumnIndices(l.hp));
  const maxSlices = sliceCap(layer, opts.maxSlices);
  const geometry = (s: number) => tailGeometry(layer, hidden, s);
  const minSlices = fewestSlices(device.limits, layer, hidden, maxSlices);
  if (minSlices === null) throw new GpuLimitError("the HP tail's workgroup memory does not fit this device");
  if (
    opts.slices !== undefined &&
    !(Number.isInteger(opts.slices) && opts.slices >= minSlices && opts.slices <= maxSlices)
  )
    throw new RangeError(`tail slices must be an integer in ${minSlices}..${maxSlices}, got ${opts.slices}`);
  const idx = new Uint32Array(cols.reduce((n, c) => n + c.length, 0));
  idx.set(cols[0], 0);
  idx.set(cols[1], cols[0].length);
  idx.set(cols[2], cols[0].length + cols[1].length);
  const w = concatF32(attnOut.hp.values, ffnIn.hp.values, ffnOut.hp.values);
  const vecs = concatF32(attnOut.bias, layer.gamma, layer.beta, ffnIn.bias, ffnOut.bias);
  const buffers = [
    uploadBuffer(device, idx, 'encoder.tail-hp cols'),
    uploadBuffer(device, w, 'encoder.tail-hp weights'),
    uploadBuffer(device, vecs, 'encoder.tail-hp biases'),
  ];
  // params, ctx, x, cols, weights, biases, ranges; h, a.
  const kinds = ['uniform', ...Array<'read'>(6).fill('read'), 'write', 'write'] as const;
  const layout = bindingLayout(device, 'encoder.tail-hp', kinds);
  /** The pipeline and FFN-out's range table of a slice count. */
  const perSlices = new Map<number, { pipeline: GPUComputePipeline; ranges: GPUBuffer }>();
  const forSlices = (s: number) => {
    let entry = perSlices.get(s);
    if (entry) return entry;
    const { fs, pa, pf, po, vin, part } = geometry(s);
    const consts = {
      H: hidden,
      FF: ffn,
      WG,
      PER: Math.ceil(hidden / WG),
      TR: tr,
      TR4: tr4,
      S: s,
      FS: fs,
      UN: unroll,
      VIN: vin,
      PART: part,
      TA: ta,
      TF: tf,
      TO: to,
      QA: qa,
      QF: qf,
      QO: qo,
      PA: pa,
      PF: pf,
      PO: po,
      CF: cols[0].length,
      CO: cols[0].length + cols[1].length,
      WF: attnOut.hp.values.length / 4,
      WO: (attnOut.hp.values.length + ffnIn.hp.values.length) / 4,
      G1: hidden,
      B1: 2 * hidden,
      BF: 3 * hidden,
      BO: 3 * hidden + ffn,
    };
    const code = withConsts(
      consts,
      rowNormWgsl,
      expandWgsl(epilogueWgsl, { BIAS: false, GELU: false }),
      expandWgsl(tailWgsl, { UN: unroll }),
    );
    const pipeline = compilePipeline(device, layout, `encoder.tail-hp s${s}`, code);
    const ranges = uploadBuffer(device, sliceRanges(cols[2], qo, s, fs * tr, ffn), `encoder.tail-hp ranges s${s}`);
    perSlices.set(s, (entry = { pipeline, ranges }));
    return entry;
  };
  const groups = new WeakMap<TailBuffers, Map<number, GPUBindGroup>>();
  const slicesFor = (rows: number) =>
    opts.slices ?? Math.min(maxSlices, Math.max(minSlices, Math.ceil(TARGET_GROUPS / rows)));
  return {
    maxSlices,
    slicesFor,
    get weightBytes() {
      return [...buffers, ...[...perSlices.values()].map((e) => e.ranges)].reduce((n, b) => n + b.size, 0);
    },
    weights: buffers,
    encode(pass, b, rows) {
      const s = slicesFor(rows);
      const { pipeline, ranges } = forSlices(s);
      let bySlices = groups.get(b);
      if (!bySlices) groups.set(b, (bySlices = new Map()));
      let group = bySlices.get(s);
      if (!group) {
        const bufs = [b.params, b.ctx, b.x, ...buffers, ranges, b.h, b.a];
        bySlices.set(s, (group = bindBuffers(device, layout, 'encoder.tail-hp', bufs)));
      }
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(s, rows);
    },
    destroy() {
      for (const b of buffers) b.destroy();
      for (const { ranges } of perSlices.values()) ranges.destroy();
    },
  };
}
