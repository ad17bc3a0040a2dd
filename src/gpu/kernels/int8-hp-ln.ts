// The int8 HP attention-output / FFN-output linear fused with its input quantizer, the residual,
// LayerNorm and the next int8 linear's quantizer (int8-hp-ln.wgsl): one dispatch where the int8
// encoder ran four (quantize, the dot4 HP linear, residual + LayerNorm writing the next linear's
// codes). The same numbers as those four: int8-quantize's codes of X, int8-linear's epilogue bit
// for bit, add-layernorm-int8's LayerNorm and codes. Needs subgroups of one size, input and output
// widths multiples of 4, 16 x the input row's codes in workgroup memory.
import wgsl from './int8-hp-ln.wgsl?raw';
import subgroupCommonWgsl from './subgroup-common.wgsl?raw';
import int8ScaleWgsl from './int8-scale.wgsl?raw';
import int8BytesWgsl from './int8-bytes.wgsl?raw';
import type { GpuCapabilities } from '../adapter';
import { keptInputs, tileGrid, type HPCodes, type HPMatrix } from '../../core/formats/hp';
import { hpInt8Layout, int8RowWords, readMaskWords } from '../../core/quant';
import { bindingLayout, rowGrid, runDispatch, type KernelLayout } from '../kernel';
import { asBinding, cachedPipeline, uploadBuffer, type BufferArg, type KernelDispatch } from './linear-common';

export interface Int8HpLn {
  readonly layout: KernelLayout;
  /** Whether it writes the next linear's codes (as columns of `tw` words, params word 1). */
  readonly codes: boolean;
  readonly tile: string;
  /** params {tokens, tw, eps} (16-byte uniform), X rows (tokens x in, f32), gamma then beta (2 x
   *  out), x (tokens x out: the residual, normalised in place), the next linear's codes (columns)
   *  and per-token scales (unused where !codes: any storage buffer). */
  bind(
    params: GPUBuffer,
    input: BufferArg,
    gammaBeta: GPUBuffer,
    x: BufferArg,
    codes: BufferArg,
    scales: BufferArg,
  ): GPUBindGroup;
  encode(pass: GPUComputePassEncoder, group: GPUBindGroup, tokens: number): void;
  destroy(): void;
}

/** Tokens a workgroup (the columns layout's chunk of 16). */
const BT = 16;

/** Tiles: 'l16' (4 x NT x Tr/4 invocations: 4 tokens x 4 outputs each), 'l16w' (at least 16
 *  subgroups: one a token row when quantizing and normalising, the rest idle in the product),
 *  'l16wp' (l16w with W's first batch loaded before the quantizing, each next one a batch ahead); a
 *  tile may end in an ablation (timing only, wrong results): '~quant' (no input codes), '~gather',
 *  '~loop' (no products), '~ln' (no LayerNorm, no codes). */
export const INT8_HP_LN_TILES = ['l16', 'l16w', 'l16wp'] as const;
const ABLATIONS = ['quant', 'gather', 'loop', 'ln'] as const;
/** H200, B=32 L=128 HP 90 % (session 12, 4 layers): attn-out + LN 0.0618 / FFN-out + LN 0.1249 ms on
 *  l16w against 0.0766 / 0.1379 on l16 (the same process); with W's loads batched 0.0635 / 0.0983
 *  against 0.0778 / 0.1100; forward 0.5509 on l16w against 0.5591 on l16wp (call 4). Session 13: W, its
 *  columns, scales and gamma / beta touched a sector at a time before the quantizing (l16wt, removed:
 *  commit 'int8 fused output linear: l16wt tile') 0.5427 / 0.5448 against 0.5448 / 0.5427 (one process). */
const DEFAULT_TILE = 'l16w';

/** [tile, ablation] of a tile name, or undefined where it is not one. */
export function parseInt8HpLnTile(name: string): [string, string | undefined] | undefined {
  const [tile, abl, ...rest] = name.split('~');
  if (rest.length || !(INT8_HP_LN_TILES as readonly string[]).includes(tile)) return undefined;
  if (abl !== undefined && !(ABLATIONS as readonly string[]).includes(abl)) return undefined;
  return [tile, abl];
}

/** The fused kernel of one HP int8 linear (weights `hp` with codes `quant`), writing the next
 *  linear's codes where `codes`; null where it cannot run here. `read` (the 'read' scale): its own
 *  input's scale over its kept columns, and the next linear's over `nextRead` where given (1 for
 *  each column it reads; the others' codes 0). */
export function createInt8HpLn(
  device: GPUDevice,
  caps: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
  hp: HPMatrix,
  quant: HPCodes,
  o: { bias?: Float32Array; codes: boolean; label: string; tile?: string; read?: boolean; nextRead?: Uint8Array },
): Int8HpLn | null {
  const parsed = parseInt8HpLnTile(o.tile ?? DEFAULT_TILE);
  if (!parsed) throw new RangeError(`${o.label}: unknown int8 fused tile '${o.tile}' (${INT8_HP_LN_TILES.join(', ')})`);
  const [tile, ablation] = parsed;
  const sg = caps.subgroupMinSize;
  const limits = device.limits;
  if (!sg || sg !== caps.subgroupMaxSize || !device.features.has('subgroups' as GPUFeatureName)) return null;
  const { tileRows } = tileGrid(hp);
  const h = hp.out;
  if (h % 4 !== 0 || hp.in % 4 !== 0 || hp.tr % 4 !== 0 || tileRows * hp.tr < h) return null;
  const ct = 4 * tileRows * (hp.tr / 4);
  const threads = tile === 'l16' ? ct : Math.max(ct, 16 * sg);
  if (threads % sg !== 0 || threads > limits.maxComputeInvocationsPerWorkgroup) return null;
  if (threads > limits.maxComputeWorkgroupSizeX) return null;
  const layout = hpInt8Layout(hp, quant);
  const kw = layout.qp / 4;
  const kin4 = hp.in / 4;
  const words = int8RowWords(h);
  // Workgroup memory (vec4): input codes then the gathered words; later the staged rows then the
  // output codes.
  const ag4 = Math.ceil((BT * kin4) / 4);
  const stagedRows = BT * (h / 4 + 1);
  const smem4 = Math.max(ag4 + tileRows * (4 * kw + 1), stagedRows + Math.ceil((BT * words) / 4));
  const storageBytes = smem4 * 16 + BT * 4 + 4;
  if (storageBytes > limits.maxComputeWorkgroupStorageSize) return null;

  // The read masks after the kept columns (a word per input / output vec4; none where all is read).
  const kept = o.read ? keptInputs(hp) : undefined;
  const readIn = kept && !kept.every((v) => v) ? readMaskWords(kept, kin4) : undefined;
  const readOut = o.codes && o.nextRead && !o.nextRead.every((v) => v) ? readMaskWords(o.nextRead, h / 4) : undefined;
  const rin = layout.cols.length;
  const rout = rin + (readIn?.length ?? 0);
  const cols =
    readIn || readOut
      ? Uint32Array.from([...layout.cols, ...(readIn ?? []), ...(readOut ?? []), 0, 0, 0])
      : layout.cols;

  const nt = tileRows * hp.tr;
  const wsb = new Float32Array(2 * nt);
  wsb.set(quant.scales.subarray(0, Math.min(h, quant.scales.length)));
  if (o.bias) wsb.set(o.bias, nt);
  const bufs = [
    uploadBuffer(device, cols.subarray(0, cols.length & ~3), `${o.label} kept columns`),
    uploadBuffer(device, layout.words.length ? layout.words : new Uint32Array(4), `${o.label} W codes`),
    uploadBuffer(device, wsb, `${o.label} W scales + bias`),
  ];
  const kernelLayout = bindingLayout(device, 'int8-hp-ln', [
    'uniform',
    'read',
    'read',
    'read',
    'read',
    'read',
    'write',
    'write',
    'write',
  ]);
  const values = {
    TR: hp.tr,
    NT: tileRows,
    H: h,
    KIN4: kin4,
    KW: kw,
    SG: sg,
    THREADS: threads,
    WORDS: words,
    AG4: ag4,
    OC: 4 * stagedRows,
    SMEM4: smem4,
    PER_IN: Math.ceil(kin4 / sg),
    PER4: Math.ceil(h / 4 / sg),
    WB: Math.ceil(kw / Math.ceil(kw / 8)),
    NB: Math.ceil((tileRows * kw * 4) / threads),
    CODES: o.codes,
    ...{ READ_IN: Boolean(readIn), RIN: rin, READ_OUT: Boolean(readOut), ROUT: rout },
    NO_QUANT: ablation === 'quant',
    NO_GATHER: ablation === 'gather',
    NO_LOOP: ablation === 'loop',
    NO_LN: ablation === 'ln',
    WPRE: tile === 'l16wp',
    BIAS: false,
    GELU: false,
  };
  const pipeline = cachedPipeline(
    device,
    kernelLayout,
    wgsl,
    values,
    `int8-hp-ln ${hp.in}x${h} ${o.tile ?? DEFAULT_TILE}${o.codes ? ' codes' : ''}` +
      `${readIn ? ' read' : ''}${readOut ? ' read-out' : ''}`,
    [subgroupCommonWgsl, int8ScaleWgsl, int8BytesWgsl].join('\n'),
  );
  const dispatches = new Map<number, KernelDispatch>();
  const dispatchFor = (tokens: number): KernelDispatch => {
    let d = dispatches.get(tokens);
    if (!d) {
      const [x, y] = rowGrid(Math.ceil(tokens / BT), limits.maxComputeWorkgroupsPerDimension);
      dispatches.set(tokens, (d = { pipeline, workgroup: { x: threads, y: 1, storageBytes }, grid: { x, y } }));
    }
    return d;
  };
  return {
    layout: kernelLayout,
    codes: o.codes,
    tile: o.tile ?? DEFAULT_TILE,
    bind: (params, input, gammaBeta, x, codes, scales) =>
      device.createBindGroup({
        label: `${o.label} int8 + ln`,
        layout: kernelLayout.group,
        entries: [
          { buffer: params },
          asBinding(input),
          { buffer: bufs[0] },
          { buffer: bufs[1] },
          { buffer: bufs[2] },
          { buffer: gammaBeta },
          asBinding(x),
          asBinding(codes),
          asBinding(scales),
        ].map((resource, binding) => ({ binding, resource })),
      }),
    encode(pass, group, tokens) {
      if (tokens > 0) runDispatch(pass, limits, o.label, dispatchFor(tokens), group);
    },
    destroy() {
      for (const b of bufs) b.destroy();
    },
  };
}
