// The HP linear on X as columns (hp-columns.wgsl) and the f32 transpose that makes such columns
// (f32-transpose.wgsl). hp-linear.ts attaches it to its GpuLinear as `columns`; the encoder
// engine has the residual + LayerNorm write x as columns too (a transpose step where it cannot)
// and runs Q/K/V and FFN-in on them, FFN-in writing its output as columns for FFN-out. The token
// block and per-invocation tile are chosen here per call (COLUMN_TILES), the K-step from the
// tile-row's kept columns.
import columnsWgsl from './hp-columns.wgsl?raw';
import transposeWgsl from './f32-transpose.wgsl?raw';
import type { HPMatrix } from '../../core/formats/hp';
import { keptColumnIndices, tileGrid } from '../../core/formats/hp';
import { COLUMN_KC_MAX, columnKStep, hpColumnsLn, shapeTile } from './hp-columns-ln';
import type { HPColumnsPath, LiveOutputs } from './linear-types';
import { checkBufferArg, GpuLimitError } from '../limits';
import { bindingLayout, compilePipeline, runDispatch, type KernelLayout } from '../kernel';
import {
  asBinding,
  BindingCache,
  cachedPipeline,
  checkTokens,
  uploadBuffer,
  weightQuadValues,
  type BufferArg,
  type KernelDispatch,
} from './linear-common';

/** (4*rt) tokens x (4*ro) outputs an invocation, TR/(4*ro) x wy invocations, 4*rt*wy tokens a
 *  workgroup. Name: 'c' + tokens a workgroup + '/' + the invocation's tokens x outputs. */
export interface ColumnTile {
  name: string;
  rt: number;
  ro: number;
  wy: number;
}

export const COLUMN_TILES: readonly ColumnTile[] = [
  { name: 'c256/8x8', rt: 2, ro: 2, wy: 32 },
  { name: 'c128/8x8', rt: 2, ro: 2, wy: 16 },
  { name: 'c128/8x4', rt: 2, ro: 1, wy: 16 },
  { name: 'c64/8x8', rt: 2, ro: 2, wy: 8 },
  { name: 'c64/8x4', rt: 2, ro: 1, wy: 8 },
  { name: 'c64/4x4', rt: 1, ro: 1, wy: 16 },
  { name: 'c32/4x4', rt: 1, ro: 1, wy: 8 },
];

export { COLUMN_KC_MAX };

/** Smallest call (tokens) the engine runs its HP linears on columns for (below it: rows; H200, HP
 *  90 %: B=32 L=64 0.328 ms on columns against 0.336 on rows, B=32 L=128 0.577 against 0.590, sixth
 *  pass; nineteenth pass, forwards in one process each: 512 tokens (B=4 L=128) 0.2099 against
 *  0.2130, 768 (B=6 L=128, B=12 L=64) 0.2017 / 0.1851 against 0.2048 / 0.1884, 1024 (B=8 L=128,
 *  B=16 L=64) 0.2089 / 0.1935 against 0.2171 / 0.2022, 1536 (B=12 L=128, B=24 L=64) 0.2406 / 0.2171
 *  against 0.254 / 0.2345; at 256 tokens rows were as fast or faster: 0.1835 against 0.1851). */
export const HP_COLUMNS_MIN_TOKENS = 512;

/** Up to this many tokens a call (B=1) the engine runs them on columns too, where the attention
 *  output and FFN-out run fused with their LayerNorm (hp-columns-ln.ts AUTO_FEW_TOKENS: its tile
 *  for few tokens). */
export { AUTO_FEW_TOKENS as HP_COLUMNS_FEW_TOKENS } from './hp-columns-ln';

export interface ColumnGeometry {
  tile: ColumnTile;
  name: string;
  wx: number;
  wy: number;
  threads: number;
  bt: number;
  kc: number;
  storageBytes: number;
}

export function columnGeometry(tr: number, q: number, tile: ColumnTile, kcMax = COLUMN_KC_MAX): ColumnGeometry | null {
  const wx = tr / (4 * tile.ro);
  if (!Number.isInteger(wx) || wx < 1) return null;
  const threads = wx * tile.wy;
  if (threads < 16) return null;
  const bt = 4 * tile.rt * tile.wy;
  const kc = columnKStep(q, kcMax);
  if (Math.ceil((kc * bt) / 4 / threads) > 16) return null; // unrolled prefetch registers
  const storageBytes = (kc * (bt / 4) + (kc * tr) / 4) * 16;
  const name = kcMax === COLUMN_KC_MAX ? tile.name : `${tile.name}/k${kcMax}`;
  return { tile, name, wx, wy: tile.wy, threads, bt, kc, storageBytes };
}

/** The geometry a tile name ('c128/8x8', 'c128/8x8/k8': at most 8 kept columns a K-step) gives. */
function namedGeometry(tr: number, q: number, name: string): ColumnGeometry | null {
  const m = /^(.*?)(?:\/k(\d+))?$/.exec(name)!;
  const tile = COLUMN_TILES.find((t) => t.name === m[1]);
  return tile ? columnGeometry(tr, q, tile, m[2] ? Number(m[2]) : COLUMN_KC_MAX) : null;
}

function fits(limits: GPUSupportedLimits, g: ColumnGeometry): boolean {
  return (
    g.threads <= limits.maxComputeInvocationsPerWorkgroup &&
    g.wx <= limits.maxComputeWorkgroupSizeX &&
    g.wy <= limits.maxComputeWorkgroupSizeY &&
    g.storageBytes <= limits.maxComputeWorkgroupStorageSize
  );
}

/** The automatic choice: from MANY_TOKENS tokens a call, MANY_TILE where it yields MANY_GROUPS
 *  workgroups; else the first of AUTO_ORDER that yields MIN_COLUMN_GROUPS, else the last. H200,
 *  HP 90 %: each alone at 4096 tokens (BENCHMARKS.md, issue 19 sixth pass) 312->1200 (38
 *  tile-rows) c128/8x4 0.0179 ms (c64/8x4 0.0195, 8x8 tiles 0.022-0.024); 312->960 (30) c64/8x4
 *  0.0142 (c128/8x4 0.0160, c128/8x8/k8 0.0132); 1200->312 and 312->312 (10) c32/4x4 0.0156 /
 *  0.0070. In the B=32 L=128 forward (eleventh pass, helper 19f), the 4 layers: Q/K/V (31
 *  tile-rows, 992 workgroups) 0.0517 on c128/8x8/k8 against 0.0579 on c64/8x4; FFN-in (1216)
 *  0.0815 on either c128/8x8/k8 or c128/8x4. */
const MIN_COLUMN_GROUPS = 1024;
const AUTO_ORDER = ['c128/8x4', 'c64/8x4', 'c32/4x4'];
const MANY_TOKENS = 4096;
const MANY_TILE = 'c128/8x8/k8';
const MANY_GROUPS = 960;

/** The column tile for `tokens` (`forced`: a COLUMN_TILES name, optionally with '/kN'). */
export function pickColumnTile(
  limits: GPUSupportedLimits,
  tr: number,
  q: number,
  tileRows: number,
  tokens: number,
  forced?: string,
): ColumnGeometry {
  if (forced) {
    const g = namedGeometry(tr, q, forced);
    if (!g || !fits(limits, g)) {
      const names = COLUMN_TILES.map((t) => t.name).join(', ');
      throw new GpuLimitError(`HP column tile '${forced}' is unknown or does not fit Tr=${tr} here (${names}, '/kN')`);
    }
    return g;
  }
  if (tokens >= MANY_TOKENS) {
    const g = namedGeometry(tr, q, MANY_TILE);
    if (g && fits(limits, g) && tileRows * Math.ceil(tokens / g.bt) >= MANY_GROUPS) return g;
  }
  const usable = AUTO_ORDER.map((n) => namedGeometry(tr, q, n)).filter(
    (g): g is ColumnGeometry => g !== null && fits(limits, g),
  );
  if (usable.length === 0) throw new RangeError(`no HP column tile fits Tr=${tr} on this device`);
  return usable.find((g) => tileRows * Math.ceil(tokens / g.bt) >= MIN_COLUMN_GROUPS) ?? usable[usable.length - 1];
}

/** The columns kernel's tile-row map for `live` (hp-columns.wgsl LIVE): per run tile-row its index,
 *  then with `mask` (where tr <= 32; else none) a word of its read outputs' bits; null where every
 *  output is read. */
export function liveRowMap(
  out: number,
  tr: number,
  live: LiveOutputs,
): { rows: number; stride: number; words: Uint32Array } | null {
  if (live.live.length !== out) throw new RangeError(`live outputs: ${live.live.length} flags for ${out} outputs`);
  if (live.live.every((v) => v !== 0)) return null;
  const mask = live.mask && tr <= 32;
  const entries: number[] = [];
  for (let r = 0; r < Math.ceil(out / tr); r++) {
    const read = Array.from({ length: Math.min(tr, out - r * tr) }, (_, k) => live.live[r * tr + k] !== 0);
    const bits = read.reduce((b, v, k) => (v && k < 32 ? b | (1 << k) : b), 0);
    if (read.some(Boolean)) entries.push(r, ...(mask ? [bits >>> 0] : []));
  }
  const stride = mask ? 2 : 1;
  return { rows: entries.length / stride, stride, words: Uint32Array.from(entries) };
}

/** Floats of a columns buffer (K x P) for `tokens`: P = tokens rounded up to 4. */
export const columnsFloats = (k: number, tokens: number) => k * 4 * Math.ceil(tokens / 4);

/** Most K splits a columns call takes (HPColumnsCall.splits). */
export const MAX_COLUMN_SPLITS = 16;

export interface HPColumns extends HPColumnsPath {
  readonly weightBytes: number;
  /** Its own buffers (the kept columns' indices, the live tile-rows' map); the values are the row
   *  kernel's. */
  readonly weights: readonly GPUBuffer[];
  destroy(): void;
}

/** The columns path of one HP linear; `own`: its [header, tileCol, colOff, values] buffers
 *  (binding 2 is replaced by the kept columns' input indices). */
export function hpColumns(
  device: GPUDevice,
  hp: HPMatrix,
  o: {
    layout: KernelLayout;
    own: GPUBuffer[];
    bias: GPUBuffer;
    gelu: boolean;
    f16: boolean;
    maxTokens: number;
    tile?: string;
    /** The adapter's one subgroup size (none: no fused LayerNorm) and the fused kernel's tile. */
    subgroupSize?: number;
    lnTile?: string;
    /** The outputs later kernels read (LiveOutputs); absent: all. */
    live?: LiveOutputs;
    label: string;
  },
): HPColumns {
  const { tr } = hp;
  const q = hp.m * hp.k;
  const { tileRows } = tileGrid(hp);
  if (hp.out % 4 !== 0) throw new RangeError(`${o.label}: the columns kernel needs out % 4 == 0`);
  const colsBuf = uploadBuffer(device, keptColumnIndices(hp), `${o.label} cols`);
  const map = o.live ? liveRowMap(hp.out, tr, o.live) : null;
  const mapBuf = map && map.rows > 0 ? uploadBuffer(device, map.words, `${o.label} live rows`) : null;
  // The map a call of `tokens` runs on (LiveOutputs.minTokens), if any.
  const mapFor = (tokens: number) => (tokens >= (o.live?.minTokens ?? 0) ? map : null);
  const cache = new BindingCache(device, `${o.label} columns`, [0, 0, 0]);
  const limits = device.limits;
  const forced = shapeTile(o.tile, hp.in, hp.out);
  const geometry = (tokens: number) => pickColumnTile(limits, tr, q, tileRows, tokens, forced);
  const dispatches = new Map<string, KernelDispatch>();
  const dispatchFor = (tokens: number, outColumns: boolean, splits: number, inRows: boolean): KernelDispatch => {
    const g = geometry(tokens);
    const blocks = Math.ceil(tokens / g.bt);
    const live = mapFor(tokens);
    const key = `${g.name}:${outColumns}:${blocks}:${live !== null}:${splits}:${inRows}`;
    let d = dispatches.get(key);
    if (!d) {
      const pipeline = cachedPipeline(
        device,
        o.layout,
        columnsWgsl,
        {
          TR: tr,
          NOUT: hp.out,
          Q: q,
          WX: g.wx,
          WY: g.wy,
          RT: g.tile.rt,
          RO: g.tile.ro,
          BT4: g.bt / 4,
          KC: g.kc,
          X_LOADS: Math.ceil((g.kc * g.bt) / 4 / g.threads),
          V_LOADS: Math.ceil((g.kc * tr) / 4 / g.threads),
          OUT_COLS: outColumns,
          KS: splits,
          QS: Math.ceil(q / splits),
          KIN: hp.in,
          IN_ROWS: inRows,
          LIVE: live !== null,
          LIVE_MASK: live !== null && live.stride > 1,
          BIAS: true,
          GELU: o.gelu,
          ...weightQuadValues(o.f16),
        },
        `hp-columns tr${tr} ${g.name}${outColumns ? ' out-cols' : ''}${o.gelu ? ' gelu' : ''}${o.f16 ? ' f16w' : ''}` +
          (live ? (live.stride > 1 ? ' live-mask' : ' live') : '') +
          (splits > 1 ? ` k-split${splits}` : '') +
          (inRows ? ' in-rows' : ''),
      );
      const grid = { x: live ? live.rows : tileRows, y: blocks, z: splits };
      dispatches.set(key, (d = { pipeline, workgroup: { x: g.wx, y: g.wy, storageBytes: g.storageBytes }, grid }));
    }
    return d;
  };
  const addLn = hpColumnsLn(device, hp, {
    cols: colsBuf,
    values: o.own[3],
    bias: o.bias,
    f16: o.f16,
    subgroupSize: o.subgroupSize,
    tile: o.lnTile,
    label: o.label,
  });
  return {
    tileFor: (tokens) => geometry(tokens).name,
    keptColumns: q,
    weightBytes: colsBuf.size + (mapBuf?.size ?? 0),
    weights: mapBuf ? [colsBuf, mapBuf] : [colsBuf],
    addLn,
    encode(target, input, output, tokens, outColumns, call = {}) {
      checkTokens(tokens, o.maxTokens, o.label);
      const splits = call.splits ?? 1;
      const inRows = call.inRows ?? false;
      if (!Number.isInteger(splits) || splits < 1 || splits > MAX_COLUMN_SPLITS)
        throw new RangeError(`${o.label}: K splits must be an integer in 1..${MAX_COLUMN_SPLITS}, got ${splits}`);
      if (splits > 1 && (o.gelu || outColumns))
        throw new RangeError(`${o.label}: K splits write partial sums as rows (no GELU, no output columns)`);
      if (inRows && hp.in % 4 !== 0) throw new RangeError(`${o.label}: X as rows needs in % 4 == 0`);
      if (tokens === 0 || mapFor(tokens)?.rows === 0) return;
      const x = asBinding(input);
      const y = asBinding(output);
      const xFloats = inRows ? tokens * hp.in : columnsFloats(hp.in, tokens);
      checkBufferArg(`${o.label} input ${inRows ? 'rows' : 'columns'}`, x, xFloats * 4);
      const yFloats = outColumns ? columnsFloats(hp.out, tokens) : splits * tokens * hp.out;
      checkBufferArg(`${o.label} output`, y, yFloats * 4);
      const [header, , colOff, values] = o.own;
      const group = cache.bindGroup(o.layout.group, tokens, [
        { buffer: header },
        { buffer: colsBuf },
        // The columns kernel reads no colOff: binding 3 holds the live tile-row map where there is one.
        { buffer: mapBuf ?? colOff },
        { buffer: values },
        x,
        { buffer: o.bias },
        y,
      ]);
      runDispatch(target, limits, o.label, dispatchFor(tokens, outColumns, splits, inRows), group);
    },
    destroy() {
      colsBuf.destroy();
      mapBuf?.destroy();
      cache.destroy();
    },
  };
}

/** X (tokens x k, rows) -> XT (k x P) for the columns kernel. */
export interface ColumnsTranspose {
  readonly layout: KernelLayout;
  /** A bind group for {tokens, k} (16-byte uniform), X and XT. */
  bind(params: GPUBuffer, x: BufferArg, xt: BufferArg): GPUBindGroup;
  encode(pass: GPUComputePassEncoder, group: GPUBindGroup, tokens: number, k: number): void;
}

export function createColumnsTranspose(device: GPUDevice): ColumnsTranspose {
  const layout = bindingLayout(device, 'f32-transpose', ['uniform', 'read', 'write']);
  const pipeline = compilePipeline(device, layout, 'f32-transpose', transposeWgsl);
  return {
    layout,
    bind: (params, x, xt) =>
      device.createBindGroup({
        label: 'f32-transpose',
        layout: layout.group,
        entries: [params, x, xt].map((b, binding) => ({ binding, resource: asBinding(b) })),
      }),
    encode(pass, group, tokens, k) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(Math.ceil(k / 32), Math.ceil(tokens / 64));
    },
  };
}
