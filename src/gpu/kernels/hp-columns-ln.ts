// The HP linear fused with its bias, the residual and LayerNorm (hp-columns-ln.wgsl): one dispatch
// where the encoder runs the HP attention-output or FFN-output linear and then add-layernorm. A
// workgroup takes BT tokens and all of W's tile-rows (the whole hidden row), so it normalises its
// rows itself and writes x, and optionally x as columns for the next HP linear. Needs subgroups of
// one fixed size (the row sums are subgroupAdd()s); the encoder falls back to the two dispatches
// elsewhere. X comes as columns (FFN-in's output) or as rows (the attention's output).
import lnWgsl from './hp-columns-ln.wgsl?raw';
import subgroupCommonWgsl from './subgroup-common.wgsl?raw';
import type { HPMatrix } from '../../core/formats/hp';
import { tileGrid } from '../../core/formats/hp';
import { bindingLayout, rowGrid, runDispatch } from '../kernel';
import { asBinding, cachedPipeline, weightQuadValues, type KernelDispatch } from './linear-common';
import type { HPColumnsLn } from './linear-types';

/** Most kept columns a K-step stages (the step is Q split evenly: 33 -> 3 x 11, 120 -> 8 x 15);
 *  a tile name may end in '/kN' to use N instead. Shared with hp-columns.ts. */
export const COLUMN_KC_MAX = 16;

/** The forced tile of an in x out HP linear: `spec` itself, or, where it is a '+' list of
 *  'INxOUT=T' entries, that linear's T (none: the automatic choice). Shared with hp-columns.ts. */
export function shapeTile(spec: string | undefined, inn: number, out: number): string | undefined {
  if (!spec?.includes('=')) return spec;
  const e = spec.split('+').find((x) => x.startsWith(`${inn}x${out}=`));
  return e?.slice(e.indexOf('=') + 1);
}

/** Kept columns a K-step: `q` split into the fewest even steps of at most `kcMax`. */
export function columnKStep(q: number, kcMax = COLUMN_KC_MAX): number {
  return Math.max(1, Math.ceil(q / Math.max(1, Math.ceil(q / kcMax))));
}

/** Tokens a workgroup (bt), token quads an invocation (rt), K splits (ks: the invocations of a
 *  workgroup in ks groups, each a share of the kept columns, partial sums added in workgroup
 *  memory) and whether the values are read into registers instead of being staged (direct); name
 *  'l' + bt [+ 'r' + rt] [+ 's' + ks] [+ 'v' if direct]. */
export interface ColumnsLnTile {
  name: string;
  bt: number;
  rt: number;
  ks?: number;
  direct?: boolean;
}

export const COLUMNS_LN_TILES: readonly ColumnsLnTile[] = [
  { name: 'l16', bt: 16, rt: 1 },
  { name: 'l8', bt: 8, rt: 1 },
  { name: 'l32', bt: 32, rt: 2 },
  { name: 'l32r1', bt: 32, rt: 1 },
  { name: 'l16r2', bt: 16, rt: 2 },
  // 640 invocations for 16 tokens (the K split in 2); its /k4 ran FFN-out + LN at 4096 tokens
  // between l16/k8 and l32r1 (BENCHMARKS.md, issue 19 eleventh pass).
  { name: 'l16s2', bt: 16, rt: 1, ks: 2 },
  // For few tokens (B=1): more invocations a workgroup through the K split.
  { name: 'l4s8v', bt: 4, rt: 1, ks: 8, direct: true },
  { name: 'l4s4v', bt: 4, rt: 1, ks: 4, direct: true },
  { name: 'l8s4', bt: 8, rt: 1, ks: 4 },
];

/** Kept columns a K-step of one split by default: staged values take workgroup memory for every
 *  column of a step (so the K-step stays at about COLUMN_KC_MAX columns in all); direct values
 *  only registers. */
function defaultKcMax(tile: ColumnsLnTile): number {
  const ks = tile.ks ?? 1;
  return tile.direct ? COLUMN_KC_MAX : Math.max(1, Math.floor(COLUMN_KC_MAX / ks));
}

export interface ColumnsLnGeometry {
  name: string;
  tile: ColumnsLnTile;
  threads: number;
  kc: number;
  storageBytes: number;
  consts: Record<string, number | boolean>;
}

/** The geometry of `tile` (optionally '/kN': N kept columns a K-step at most) for an HP matrix
 *  with `tileRows` tile-rows of `tr` outputs and `q` kept columns each; null where it cannot run. */
export function columnsLnGeometry(
  limits: GPUSupportedLimits,
  shape: { tr: number; tileRows: number; q: number; out: number; in: number },
  sg: number,
  forced?: string,
): ColumnsLnGeometry | null {
  const m = /^(.*?)(?:\/k(\d+))?(\/u)?(?:~(loop|ln|xt|red))?$/.exec(forced ?? COLUMNS_LN_TILES[0].name)!;
  // A spare vec4 after each tile-row's staged X (bank spread; '/u': none, as before).
  const xpad = m[3] ? 0 : 1;
  const ablation = m[4];
  const tile = COLUMNS_LN_TILES.find((t) => t.name === m[1]);
  if (!tile) return null;
  const { tr, tileRows, q, out: h } = shape;
  if (h % 4 !== 0 || tr % 4 !== 0 || tileRows * tr < h) return null;
  const ks = tile.ks ?? 1;
  // A split's share of a K-step: its share of Q in the fewest even steps of at most kcMax.
  const kc = columnKStep(Math.ceil(q / ks), m[2] ? Number(m[2]) : defaultKcMax(tile));
  const bt4 = tile.bt / 4;
  const wy = bt4 / tile.rt;
  const threads = (tr / 4) * tileRows * wy * ks;
  const xv = tileRows * ks * kc * bt4;
  const vv = tile.direct ? 0 : (tileRows * ks * kc * tr) / 4;
  const smem = Math.max(xv + tileRows * xpad + vv, tile.bt * (h / 4 + 1));
  const xLoads = Math.ceil(xv / threads);
  const vLoads = tile.direct ? kc : Math.ceil(vv / threads);
  if (!Number.isInteger(wy) || threads % sg !== 0 || xLoads > 16 || vLoads > 16) return null;
  if (threads > limits.maxComputeInvocationsPerWorkgroup || threads > limits.maxComputeWorkgroupSizeX) return null;
  const storageBytes = smem * 16 + 4;
  if (storageBytes > limits.maxComputeWorkgroupStorageSize) return null;
  const name = (m[2] ? `${tile.name}/k${m[2]}` : tile.name) + (xpad ? '' : '/u') + (ablation ? `~${ablation}` : '');
  const consts = {
    TR: tr,
    NT: tileRows,
    H: h,
    KIN: shape.in,
    Q: q,
    KC: kc,
    KS: ks,
    DIRECT: Boolean(tile.direct),
    // Ablations (timing only, wrong results): '~loop' no K-steps, '~ln' no LayerNorm (nor xt),
    // '~xt' no xt, '~red' no adding of the other splits' sums.
    NO_LOOP: ablation === 'loop',
    NO_LN: ablation === 'ln',
    NO_XT: ablation === 'ln' || ablation === 'xt',
    NO_RED: ablation === 'red',
    XPAD: xpad,
    WO: tr / 4,
    WY: wy,
    RT: tile.rt,
    BT4: bt4,
    THREADS: threads,
    SG: sg,
    PER4: Math.ceil(h / 4 / sg),
    SMEM: smem,
    X_LOADS: xLoads,
    V_LOADS: vLoads,
  };
  return { name, tile, threads, kc, storageBytes, consts };
}

/** The automatic tile: 16 tokens a workgroup, one token quad an invocation (l16), with K-steps of
 *  at most 8 kept columns from AUTO_K8_TOKENS tokens a call ('l16/k8'), else of up to 16; where
 *  those do not fit, the first of AUTO_FALLBACK that does. From AUTO_K8_TOKENS, a linear with at
 *  least AUTO_WIDE_Q kept columns a tile-row (FFN-out: 120 at 90 %) takes AUTO_WIDE_TILE (l32r1:
 *  32 tokens a workgroup, 640 invocations, so each multiprocessor reads W about once). H200, HP
 *  90 %, the 8 fused linears of a forward (BENCHMARKS.md, issue 19 eighth pass): B=32 L=128 forward
 *  0.516 ms with l16/k8 against 0.526 unfused, l32r1 0.518, l16 0.555, l32 0.551, l8 0.596, l16r2
 *  0.631; B=32 L=64 (2048 tokens) l16 0.285 against 0.292 unfused (l16/k8 not timed there). Per
 *  linear (eleventh pass, helper 19f; 4 layers): FFN-out + LN 0.0919 on l32r1 against 0.0983 on
 *  l16/k8 (l16s2/k4 0.0942, l32r1/k8 0.1004, l16/k8/d 0.0996, l16s2 0.1263, l16v/k8 0.1481); the
 *  attention output + LN 0.0476 on l16/k8 against 0.0516 on l32r1. */
const AUTO_K8_TOKENS = 4096;
const AUTO_WIDE_Q = 64;
const AUTO_WIDE_TILE = 'l32r1';
const AUTO_FALLBACK = ['l8', 'l32'];
/** Up to this many tokens a call (B=1), the automatic tile is AUTO_FEW_TILE (where it fits: 640
 *  invocations): 4 tokens a workgroup, the kept columns split 8 ways, the values read into
 *  registers. H200, HP 90 %, B=1 L=128, the 8 fused linears (BENCHMARKS.md, issue 19 tenth pass):
 *  attn-out + LN 0.0279 ms and FFN-out + LN 0.0554 against 0.0306 / 0.0594 on l8/k16 and 0.0362 /
 *  0.0838 on 8 tokens split 4 ways; forward 0.172 ms in 22 dispatches against 0.1753 in 30 on rows.
 *  Its time hardly depends on the workgroups' count (L=64: the same per op): each workgroup reads
 *  all of W (FFN-out: 154 KB) and normalises whole rows. */
export const AUTO_FEW_TOKENS = 128;
const AUTO_FEW_TILE = 'l4s8v';

/** The fused kernel of one HP linear whose `cols` (kept columns' input indices), `values` and
 *  `bias` buffers it shares; null where it cannot run (no fixed subgroup size, or no tile fits). */
export function hpColumnsLn(
  device: GPUDevice,
  hp: HPMatrix,
  o: {
    cols: GPUBuffer;
    values: GPUBuffer;
    bias: GPUBuffer;
    f16: boolean;
    subgroupSize: number | undefined;
    tile?: string;
    label: string;
  },
): HPColumnsLn | null {
  const sg = o.subgroupSize;
  const forced = shapeTile(o.tile, hp.in, hp.out);
  if (!sg || forced === 'off') return null;
  const limits = device.limits;
  const shape = { tr: hp.tr, tileRows: tileGrid(hp).tileRows, q: hp.m * hp.k, out: hp.out, in: hp.in };
  // A forced tile that does not fit this matrix (e.g. FFN-in's 38 tile-rows) leaves it unfused;
  // the engine refuses a forced tile that leaves a linear it would fuse unfused.
  const fit = (name: string) => columnsLnGeometry(limits, shape, sg, name);
  const fallback = AUTO_FALLBACK.map(fit).find((g) => g !== null) ?? null;
  const few = forced ? fit(forced) : (fit('l16') ?? fallback);
  const many = forced ? few : ((shape.q >= AUTO_WIDE_Q ? fit(AUTO_WIDE_TILE) : null) ?? fit('l16/k8') ?? few);
  const small = forced ? few : fit(AUTO_FEW_TILE);
  if (!few || !many) return null;
  const geometry = (tokens: number) =>
    tokens >= AUTO_K8_TOKENS ? many : tokens <= AUTO_FEW_TOKENS ? (small ?? few) : few;
  const layout = bindingLayout(device, 'hp-columns-ln', [
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
  const dispatchFor = (tokens: number, inRows: boolean, outColumns: boolean): KernelDispatch => {
    const key = `${inRows}:${outColumns}:${tokens}`;
    let d = dispatches.get(key);
    if (!d) {
      const g = geometry(tokens);
      const pipeline = cachedPipeline(
        device,
        layout,
        lnWgsl,
        {
          ...g.consts,
          IN_ROWS: inRows,
          OUT_XT: outColumns && !g.consts.NO_XT,
          BIAS: false,
          GELU: false,
          ...weightQuadValues(o.f16),
        },
        `hp-columns-ln tr${hp.tr} ${g.name}${inRows ? ' in-rows' : ''}${outColumns ? ' out-cols' : ''}` +
          (o.f16 ? ' f16w' : ''),
        subgroupCommonWgsl,
      );
      const [x, y] = rowGrid(Math.ceil(tokens / g.tile.bt), limits.maxComputeWorkgroupsPerDimension);
      dispatches.set(
        key,
        (d = { pipeline, workgroup: { x: g.threads, y: 1, storageBytes: g.storageBytes }, grid: { x, y } }),
      );
    }
    return d;
  };
  return {
    layout,
    fewTokens: small !== null,
    tileFor: (tokens) => geometry(tokens).name,
    bind: (params, input, gammaBeta, x, xt) =>
      device.createBindGroup({
        label: `${o.label} + ln`,
        layout: layout.group,
        entries: [
          { buffer: params },
          { buffer: o.cols },
          { buffer: o.values },
          asBinding(input),
          { buffer: o.bias },
          { buffer: gammaBeta },
          asBinding(x),
          asBinding(xt),
        ].map((resource, binding) => ({ binding, resource })),
      }),
    encode(pass, group, tokens, inRows, outColumns) {
      if (tokens === 0) return;
      runDispatch(pass, limits, o.label, dispatchFor(tokens, inRows, outColumns), group);
    },
  };
}
