// Runner of the int8 linears: int8-linear.wgsl (core WGSL, dot4I8Packed: four int8 products per
// instruction, every adapter) and int8-matrix.wgsl (subgroup matrices: tensor cores, dense and
// HP, where the device has the i8 x i8 -> i32 16x16x32 configuration; chosen automatically for
// dense there, HP on request). Both read activation codes from int8-quantize.ts and give the CPU
// int8 reference's outputs (core/quant) bit for bit.
import int8Wgsl from './int8-linear.wgsl?raw';
import int8MatrixWgsl from './int8-matrix.wgsl?raw';
import int8BytesWgsl from './int8-bytes.wgsl?raw';
import int8HpColumnsWgsl from './int8-hp-columns.wgsl?raw';
import { createInt8Transposer, type Int8Transposer } from './int8-transpose';
import { SUBGROUP_MATRIX_FEATURE, type GpuCapabilities } from '../adapter';
import { checkBufferArg, checkStorageBinding } from '../limits';
import {
  BindingCache,
  asBinding,
  cachedPipeline,
  checkTokens,
  kernelLayout,
  runDispatch,
  uploadBuffer,
  type BufferArg,
  type EncodeTarget,
  type KernelDispatch,
} from './linear-common';
import { tileGrid, type HPCodes, type HPMatrix, type HPShape } from '../../core/formats/hp';
import type { LiveOutputs } from './linear-types';
import { hpInt8Layout, int8RowWords, packInt8Rows, type QuantizedRows } from '../../core/quant';

export type Int8Weights = { kind: 'dense'; weight: QuantizedRows } | { kind: 'hp'; hp: HPMatrix; quant: HPCodes };

/** The subgroup-matrix (tensor-core) variants' name prefix; 'matrix' alone: the automatic tile
 *  (HP: HP_X_MATRIX). */
export const INT8_MATRIX = 'matrix';
export interface MatrixUnits {
  /** 1: offsets in i8 components (Dawn's description); 4: in i32 array elements. */
  offDiv: 1 | 4;
  strideDiv: 1 | 4;
}
/** Dawn counts i8 elements (measured on the H200); the bench falls back to words if not. */
export const MATRIX_UNIT_CHOICES: readonly MatrixUnits[] = [
  { offDiv: 1, strideDiv: 1 },
  { offDiv: 4, strideDiv: 4 },
];

/** Subgroup-matrix tiles of the dense kernel (int8-matrix.wgsl): WGM x WGN subgroups, each FM x
 *  FN fragments of 16 x 16, K staged BK codes at a time. */
interface MatrixTile {
  wgm: number;
  wgn: number;
  fm: number;
  fn: number;
  bk: number;
  /** Workgroup memory as bands of 16 rows, fragment loads at constant offsets into a band picked
   *  by index (int8-matrix.wgsl BAND): robustness clamps the index instead of predicating loads. */
  band?: boolean;
  /** One stage buffer instead of two (int8-matrix.wgsl NBUF = 1): a second barrier a stage, half
   *  the workgroup memory, so that stages of 128 codes fit 128 x 128 blocks. */
  oneBuffer?: boolean;
  /** The epilogue's loop over a strip written out (EPI / SG steps of constant index). */
  epilogueUnrolled?: boolean;
  /** HPX: each stage's kept-column indices loaded with the previous stage's loads (int8-matrix.wgsl
   *  KPRE), so that the X loads do not wait on an index load. */
  keptAhead?: boolean;
  /** Words of padding after each band (int8-matrix.wgsl BANDPAD): 16 puts neighbouring bands 16
   *  banks apart (HPX stores two bands a subgroup). */
  bandPad?: number;
  /** Banded tiles: the epilogue takes each result fragment through its subgroup's one band in turn
   *  (int8-matrix.wgsl EPF), so the epilogue needs a band a subgroup, not FN / EPB. */
  epilogueByFragment?: boolean;
}
const MATRIX_TILES: Record<string, MatrixTile> = {
  'matrix-64': { wgm: 2, wgn: 2, fm: 2, fn: 2, bk: 64 }, // 64 x 64 block, 128 invocations
  'matrix-128': { wgm: 4, wgn: 2, fm: 2, fn: 4, bk: 64 }, // 128 x 128, 256
  'matrix-128w': { wgm: 2, wgn: 2, fm: 4, fn: 4, bk: 64 }, // 128 x 128 in 64 x 64 subgroup tiles, 128
  'matrix-128s': { wgm: 4, wgn: 4, fm: 2, fn: 2, bk: 64 }, // 128 x 128 in 32 x 32 subgroup tiles, 512
  'matrix-256': { wgm: 2, wgn: 4, fm: 4, fn: 4, bk: 32 }, // 128 x 256, 256
  // Banded workgroup memory (constant offsets without control flow): with robustness on,
  // matrix-128sb 1.00 ms at 4096³ against 1.54 for matrix-128s (BENCHMARKS.md, int8, session 4).
  // (Session 3's constant-offset tiles, -64c/-128c/-128sc, fragments picked by a switch: slower
  // than the banded ones with and without robustness, removed in session 5.)
  'matrix-64b': { wgm: 2, wgn: 2, fm: 2, fn: 2, bk: 64, band: true },
  'matrix-128b': { wgm: 4, wgn: 2, fm: 2, fn: 4, bk: 64, band: true },
  'matrix-128tb': { wgm: 2, wgn: 4, fm: 4, fn: 2, bk: 64, band: true }, // 8 subgroups of 64 x 32
  'matrix-128sb': { wgm: 4, wgn: 4, fm: 2, fn: 2, bk: 64, band: true },
  'matrix-128wb': { wgm: 2, wgn: 2, fm: 4, fn: 4, bk: 64, band: true },
  'matrix-256b': { wgm: 2, wgn: 4, fm: 4, fn: 4, bk: 32, band: true },
  // 256 x 128 blocks, 16 subgroups of 64 x 32, K stages of 32 (48 KiB): 0.961 ms at 4096³ against
  // 1.005 for matrix-128sb, but 0.063 vs 0.050 at 4096 x 312 -> 1200 (session 5; K stages of 32
  // for matrix-128sb: 1.67 ms; 128 x 256 blocks of 32 x 64 did not fit the H200's limits).
  'matrix-256sb': { wgm: 4, wgn: 4, fm: 4, fn: 2, bk: 32, band: true },
  // Session 6 (those figures were before the staging stores picked their words by selects): with
  // them 0.485-0.498 ms at 4096³ for 128sb and 256sb alike, 0.034 for 128sb at 312 -> 1200; loads
  // issued two or three stages ahead (two or three register sets) were slower (0.61-1.16 ms).
  // Session 7: 256 x 128 in 8 subgroups of 64 x 64 (K stages of 32) 0.524 ms against 0.470 for
  // 128sb (same process), 0.055 vs 0.034 at 312 -> 1200: dropped.
  // Session 9 (BENCHMARKS.md, int8, helper 15a): stages of 128 codes in one buffer (128sb1k, 36
  // KiB: 0.426 ms at 4096³ against 0.472, two processes), the epilogue written out (128sbe:
  // 0.459, and 0.030 vs 0.034 at 312 -> 1200), both (128sb1ke: 0.412 against 0.481 for 128sb in
  // one process); 32x64b1ke is the small tile of both forms that the SwiftShader test runs.
  // Tried and removed (code in commit 0bc03de): fragments straight from the storage buffers with
  // K steps unrolled 2 or 4 deep (4.7-23.6 ms at 4096³, also without robustness), 64 x 128 /
  // 128 x 64 / 32-subgroup blocks (0.58-1.36), 64 x 64 with stages of 128.
  'matrix-128sb1k': { wgm: 4, wgn: 4, fm: 2, fn: 2, bk: 128, band: true, oneBuffer: true },
  'matrix-32x64b1ke': { wgm: 2, wgn: 2, fm: 1, fn: 2, bk: 128, band: true, oneBuffer: true, epilogueUnrolled: true },
  'matrix-128sbe': { wgm: 4, wgn: 4, fm: 2, fn: 2, bk: 64, band: true, epilogueUnrolled: true },
  'matrix-128sb1ke': { wgm: 4, wgn: 4, fm: 2, fn: 2, bk: 128, band: true, oneBuffer: true, epilogueUnrolled: true },
  // Twenty-second pass (BENCHMARKS.md, int8): two workgroups an SM. Under Dawn/Vulkan an H200 SM holds
  // 48 KiB of workgroup memory (fifteenth pass, counted), so 128sb1ke (36 KiB) runs one an SM and its
  // multiplies never overlap another workgroup's loads and stores (session 11's ablations). 128wb1f:
  // 128 x 128 in 4 subgroups of 64 x 64, one stage of 64 codes, the epilogue a fragment at a time
  // through a band a subgroup (20 KiB): two an SM (the grid probe: M 512 -> 1024, 128 -> 256
  // workgroups, 0.082 -> 0.104 ms), and 4096³ in 0.412-0.415 ms, the same as 128sb1ke in the same call.
  // Lost there (built, timed, removed): 8 subgroups of 32 x 64 or 64 x 32 in 20 KiB (one an SM by
  // registers: 0.551), stages of 32 codes (0.448; 64 x 64 subgroups 0.481), 256 x 128 blocks of 64 x 64
  // subgroups with stages of 32 (0.537), 128wb with stages of 128 (36 KiB, 0.537); 256 x 128 in 16 subgroups
  // of 64 x 32 with a stage of 64 and EPF (30 KiB, half 128sb1ke's L2 traffic an output) 0.431-0.437.
  // Every form runs ~2.5 int8 TOPS an SM (one or two workgroups, 128 x 128 or 256 x 128): the cap is in the
  // SM's own load / stage / multiply sequence, not L2 or occupancy.
  'matrix-128wb1f': { wgm: 2, wgn: 2, fm: 4, fn: 4, bk: 64, band: true, oneBuffer: true, epilogueByFragment: true },
  // The small tile of that form, which the SwiftShader test runs (4 result fragments a subgroup).
  'matrix-32x64b1f': { wgm: 2, wgn: 1, fm: 1, fn: 4, bk: 64, band: true, oneBuffer: true, epilogueByFragment: true },
  // Session 11 (helper 15d, BENCHMARKS.md int8; 4096³, one process each, 128sb1ke 0.4119): the register
  // probe on 128sb1ke (~r8 / r16 / r32: 0.421 / 0.437 / 0.511) says it sits at the 128-register cap of
  // a 512-invocation workgroup; 256-invocation tiles do not run two an SM either (128 x 64 at M 512 /
  // 1024: 0.080 / 0.161 ms): 128 x 64 / 64 x 128 with stages of 64, 96, 128, 160, 192 in one or two
  // buffers 0.50-0.75; the staging stores in order instead of rotated 0.448; warp specialization (4 or
  // 8 more subgroups loading and staging the next stage while 16 of 32 x 32 or 8 of 32 x 64 multiply,
  // two buffers of 64, one barrier a stage; also with a stage ahead in the producers' registers)
  // 0.64-0.92; one stage buffer in two K halves (one half multiplied beside the other's staging stores,
  // each half loaded a stage ahead) 0.524-0.531. Code in the notes' patches (issue-15-s11-*.patch).
  // Session 13 (helper 15a; 4096³, two processes): the staging stores without the per-word selects,
  // each chunk rotated once a lane, 0.4151-0.4166 (the compiler had done it already), or X and W
  // staged a word an invocation, unrotated, 0.4478 (and 128sbe so: 0.498-0.874 vs 0.464); removed
  // again (code in the commit 'int8 dense tiles: staging without per-word selects').
  // Fifteenth pass (helper 15a; 4096³, two processes, both orders, 128sb1ke 0.4119-0.4151): an H200 SM holds
  // 48 KiB of workgroup memory in all (the lead's residency probe), so two workgroups an SM would split what
  // one holds; tried instead: ping-pong in one workgroup, two teams of subgroups (one multiplying while the
  // other stages; an A buffer a team, two B buffers): stages of 64 / 96, 16 subgroups of 32 x 32 or 8 of
  // 32 x 64, loads one or two intervals ahead, 0.55-1.03 ms, all bit for bit; without their multiplies
  // 0.42-0.85 against 0.262 for 128sb1ke (twice the barriers, half the bytes in flight an interval).
  // Removed again (code in the commit 'int8 dense: ping-pong tiles ...'). Also lost: 2 / 4 / 8 blocks a
  // workgroup in one loop over blocks x stages, the next block's first stage loaded during the last
  // multiplies and the epilogue (the per-block cost is 0.05 ms of 4096³): 0.51-0.54 ms, exact; code in the
  // commit 'int8 dense: 128sb1ke with 2 / 4 / 8 blocks a workgroup ...'.
};

/** Measurement-only forms of the dense matrix tiles ('matrix-128sb~global+barrier'): int8-matrix.wgsl
 *  without its global loads, its staging stores, its multiplies or its barrier. Wrong results by
 *  design (the bench reports them unverified): the time each part of the loop costs. */
export const INT8_ABLATIONS = ['global', 'stash', 'mma', 'barrier'] as const;

/** A matrix tile's name with an ablation suffix: [tile, ablations] (undefined if not one). Besides
 *  INT8_ABLATIONS (dense only), 'r<N>' (dense and HP): the register probe, N values kept live
 *  through the K loop (int8-matrix.wgsl REGS; exact results): where the time jumps with N tells
 *  how many registers the tile has left before fewer workgroups fit an SM. */
export function splitAblation(variant: string, hp = false): [string, string[]] | undefined {
  const [tile, rest, ...more] = variant.split('~');
  if (rest === undefined || more.length || !(tile in (hp ? HP_X_TILES : MATRIX_TILES))) return undefined;
  const abl = rest.split('+');
  const ok = (a: string) => /^r\d{1,3}$/.test(a) || (!hp && (INT8_ABLATIONS as readonly string[]).includes(a));
  return abl.every(ok) ? [tile, abl] : undefined;
}

/** The register probe's value count among a variant's ablations (0: none). */
function probeRegisters(ablations: readonly string[]): number {
  const r = ablations.find((a) => /^r\d+$/.test(a));
  return r ? Number(r.slice(1)) : 0;
}

const X64E = (tr: number): MatrixTile => ({
  wgm: 4,
  wgn: 1,
  fm: 1,
  fn: tr / 16,
  bk: 64,
  band: true,
  epilogueUnrolled: true,
});
/** HP on transposed activation codes (int8-transpose.wgsl, int8-matrix.wgsl HPX): the dense
 *  banded kernel over each tile-row's kept columns (K = m*k padded to 32), its A stage loaded as
 *  16-token chunks of kept columns and byte-transposed into rows; BN = Tr (WGN x FN x 16). */
const HP_X_TILES: Record<string, (tr: number) => MatrixTile> = {
  // On the H200 (session 5, 4096², 90 %): 0.33-0.45 / 0.47 / 0.34 ms, against 0.22 for dot4x-v64;
  // K stages of 128 and 16 subgroups of 16 x 16 were slower still (0.38-1.16 ms).
  'matrix-x64': (tr) => ({ wgm: 4, wgn: 1, fm: 1, fn: tr / 16, bk: 64, band: true }), // 64 tokens x Tr
  'matrix-x128': (tr) => ({ wgm: 8, wgn: 1, fm: 1, fn: tr / 16, bk: 64, band: true }), // 128 tokens x Tr
  'matrix-x256': (tr) => ({ wgm: 8, wgn: 1, fm: 2, fn: tr / 16, bk: 64, band: true }), // 256 tokens x Tr
  // Session 7 (H200, 4096², 90 %: x64 0.256, x256 0.279-0.282, dot4x-v64 0.222 ms): the A stage
  // kept column-major as XT holds it (16-byte chunks stored as loaded, left fragments loaded
  // col_major: no byte transposes in the kernel) ran 0.287 ms at 64 tokens (0.288 with the
  // chunk's words stored in order), 0.345-0.60 at 128 / 256 tokens or K stages of 128, and
  // slower at the encoder's shapes: the driver's column-major i8 fragment load costs more than
  // the transposes it saves. Dropped.
  // Session 9: x64 with the epilogue written out, 0.2425 ms (0.2556 for x64). Stages of 128 or 224
  // kept columns, one buffer of a tile-row's 416, or 32 tokens were slower (0.40-1.6 ms: more
  // workgroup memory a workgroup, fewer of them an SM), removed (code in commit 0bc03de).
  'matrix-x64e': X64E,
  // Session 10 (helper 15c; 4096², 90 %, one process each): the kept-column indices a stage ahead
  // (KPRE: each X load waited on an index load) 0.2228 ms, one stage buffer (10 KiB of workgroup
  // memory instead of 15 at Tr 32) 0.2168, both **0.1966** (x64e 0.242, dot4x-v64 0.2228); stages
  // of 32 kept columns with both 0.2016, two buffers of 32 0.2687, 128 tokens with KPRE 0.3195.
  'matrix-x64e1p': (tr) => ({ ...X64E(tr), oneBuffer: true, keptAhead: true }),
  // The same with 128 tokens a workgroup as 4 subgroups of 32 (each right fragment used twice, every
  // invocation staging A): 0.1714 ms at 4096², 90 % (two calls; x64e1p 0.1916 in the same ones),
  // 0.577 vs 0.672 at 50 %, 0.0263 vs 0.0328 at 1200 -> 312, 50 %; at 512 tokens 0.0311 vs 0.0280.
  // (2 subgroups of 16 tokens: 0.1916; 4 of 64 tokens: 0.1868.)
  'matrix-x128f1p': (tr) => ({ ...X64E(tr), fm: 2, oneBuffer: true, keptAhead: true }),
  // Session 11 (helper 15d; 4096², 90 %, one process each): x128f1p's A stores went to two bands a
  // subgroup 32 banks apart (2-way conflicts): with bands 16 banks apart (bandPad) 0.1664 ms (x128f1p
  // 0.1714); 8 subgroups of 32 tokens (256 a workgroup) 0.1659-0.1664, both 0.1613; 1024 / 2048 tokens
  // 0.0430 / 0.0829 (x128f1pb 0.0461 / 0.0901, x128f1p 0.0492 / 0.0942, x64e1p 0.0505 / 0.0983), 512
  // tokens 0.0240 (x128f1pb 0.0299, x64e1p 0.0280); 50 % 0.5243-0.5374 (x128f1pb 0.5374, x128f1p
  // 0.5767). At 1200 -> 312, 50 % (10 tile-rows, 160 workgroups of 256 tokens) x128f1pb 0.0253-0.0255,
  // x256e1pb 0.0311. Slower: 16 subgroups of 32 tokens 0.1815, 6 subgroups 0.176, 2 subgroups 0.1815,
  // x256e1pb with stages of 128 kept columns 0.229, two stage buffers 0.3359, the epilogue as a loop 0.1865.
  'matrix-x128f1pb': (tr) => ({ ...X64E(tr), fm: 2, oneBuffer: true, keptAhead: true, bandPad: 16 }),
  'matrix-x256e1pb': (tr) => ({ ...X64E(tr), wgm: 8, fm: 2, oneBuffer: true, keptAhead: true, bandPad: 16 }),
};
/** HP 'matrix' (the tensor-core HP kernel asked for without a tile), and the automatic one where
 *  autoHpVariant takes the tensor cores: hpTensorTile's choice by token count. */
const HP_X_MATRIX = 'matrix-x64e1p';

/** The tensor-core HP tile for a token count and tile-rows (H200, session 11): from 512 tokens 256
 *  tokens a workgroup (x256e1pb) where that makes >= 256 workgroups (4096 -> 4096 at 90 %: 0.0240 /
 *  0.0430 / 0.0829 / 0.160 ms at 512 / 1024 / 2048 / 4096 tokens, against 0.0280 / 0.0505 / 0.0983 /
 *  0.194 for x64e1p), else 128 (x128f1pb; 1200 -> 312 at 50 %, 160 workgroups of 256: 0.0253 vs
 *  0.0311); x64e1p below 512 tokens (not measured against the others there). */
export function hpTensorTile(tokens: number, tileRows = Infinity): string {
  if (tokens < 512) return HP_X_MATRIX;
  return tileRows * Math.ceil(tokens / 256) >= 256 ? 'matrix-x256e1pb' : 'matrix-x128f1pb';
}

/** dot4 tiles; the 'u' ones keep their accumulators in scalars with every loop written out. */
const DOT4_TILES = ['dot4-64', 'dot4-128', 'dot4-64u', 'dot4-128u'];
export const INT8_VARIANTS: readonly string[] = [...DOT4_TILES, ...Object.keys(MATRIX_TILES)];
/** HP dot4 on transposed activation codes (int8-linear.wgsl HPX): 'dot4x' as 'dot4u', 'dot4x-n4'
 *  as 'dot4u-n4'; the 'v' ones (VEC) with each invocation's tokens and outputs adjacent (vec4
 *  reads of workgroup memory): TM tokens x 4 outputs an invocation, blocks of BM tokens x Tr. */
const HP_DOT4_VEC: Record<string, { tm: number; bm: number }> = {
  // H200, 4096², 90 %: 0.223 / 0.236 ms (8 tokens an invocation: 0.42; K steps of 128: 0.34).
  'dot4x-v64': { tm: 4, bm: 64 },
  'dot4x-v': { tm: 4, bm: 128 },
};
const HP_DOT4_X = ['dot4x', 'dot4x-n4', ...Object.keys(HP_DOT4_VEC)];
/** HP dot4 on X as columns in the f32 columns kernel's layout (int8-hp-columns.wgsl): BT tokens x
 *  a tile-row a workgroup, RT token quads x RO output quads an invocation, X and W staged as vec4
 *  (K-steps of up to 16 kept words), Y stored as vec4 (out a multiple of 4). H200, HP 90 %, 4096
 *  tokens (session 12, BENCHMARKS.md int8): alone 312 -> 936 0.0156 (n4) / 0.0164 / 0.0164 (64) ms
 *  against dot4x's 0.0160, 312 -> 1200 0.0177 / 0.0195 / 0.0184 against 0.0184; in the B=32 L=128
 *  int8 forward dot4c-n4 took Q/K/V 0.058 and FFN-in 0.070 ms (4 layers) against 0.062 / 0.076 on
 *  dot4x, but the forward did not follow (0.5878 unfused against 0.5816; with the fused output
 *  linears 0.6021 against 0.5673): not automatic. */
const HP_DOT4_C: Record<string, { bt: number; rt: number; ro: number }> = {
  dot4c: { bt: 128, rt: 2, ro: 2 },
  'dot4c-n4': { bt: 128, rt: 2, ro: 1 },
  'dot4c-64': { bt: 64, rt: 2, ro: 1 },
};
/** HP: 'matrix…' the tensor-core kernels on X as columns ('matrix': HP_X_MATRIX). (Session 3's
 *  gather kernels 'matrix' / 'matrix-b', X's kept tiles staged in workgroup memory and gathered
 *  from there, 1.28-1.38 ms at 4096², 90 %, against 0.33 for matrix-x64: removed in session 5.) */
export const HP_INT8_VARIANTS: readonly string[] = [
  'dot4',
  'dot4u',
  'dot4u-n4',
  'dot4u-n8',
  ...HP_DOT4_X,
  ...Object.keys(HP_DOT4_C),
  INT8_MATRIX,
  ...Object.keys(HP_X_TILES),
];

/** The tile-rows of `hp` with an output in `live` (1 each), in order. */
export function liveTileRows(hp: HPMatrix, live: Uint8Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < tileGrid(hp).tileRows; r++)
    if (live.subarray(r * hp.tr, Math.min((r + 1) * hp.tr, hp.out)).some((v) => v)) rows.push(r);
  return rows;
}

export interface Int8LinearOptions {
  tokens: number;
  bias?: Float32Array;
  gelu?: boolean;
  label?: string;
  /** Dense: 'dot4-64' / 'dot4-128' (core WGSL, tile sides; 'u': loops written out), 'matrix-…'
   *  (subgroup matrices, MATRIX_TILES), 'matrix' (the automatic matrix tile), or automatic
   *  (undefined). HP: automatic (autoHpVariant), 'dot4u', 'dot4' (loops as written),
   *  'dot4u-n4|n8', 'dot4x…' (X as columns, HP_DOT4_X), 'matrix-x…' (HP_X_TILES: subgroup
   *  matrices on X as columns; 'matrix': HP_X_MATRIX). */
  variant?: string;
  matrixUnits?: MatrixUnits;
  /** The input columns read (1 each) for the quantizer's 'read' scale (int8-gpu-linear.ts). */
  read?: Uint8Array;
  /** HP dot4: the outputs later kernels read (live-outputs.ts); tile-rows with none are not run
   *  from `minTokens` tokens a call (as the f32 columns kernel's 'rows'). */
  live?: LiveOutputs;
}

export interface GpuInt8Linear {
  readonly kind: 'dense' | 'hp';
  readonly in: number;
  readonly out: number;
  /** Words of one packed activation row (what int8-quantize writes per token). */
  readonly inWords: number;
  readonly maxTokens: number;
  /** Integer multiply-adds x 2 the kernel performs (HP: stored values incl. padding). */
  ops(tokens?: number): number;
  variantFor(tokens?: number): string;
  /** y = epilogue(xq · Wᵀ): xq tokens x inWords packed codes, xs one f32 scale per token. */
  encode(target: EncodeTarget, xq: BufferArg, xs: BufferArg, y: BufferArg, tokens?: number): void;
  /** Where the kernel reads X as columns (HP's 'x' variants): words of one column
   *  (int8ColumnWords(maxTokens)); undefined otherwise. */
  readonly columnWords?: number;
  /** As encode, with X already as columns (inWords * 4 columns x columnWords words, e.g. from
   *  int8-quantize with columnWords): no transpose pass. Only where columnWords is defined. */
  encodeColumns(target: EncodeTarget, xt: BufferArg, xs: BufferArg, y: BufferArg, tokens?: number): void;
  destroy(): void;
}

/** Whether an adapter with these capabilities runs the int8 tensor-core kernels: i8 x i8 -> i32
 *  at 16 x 16 x 32 among its subgroup-matrix configurations, and subgroups of one known size (a
 *  binding that does not report the configurations gets the benefit of the doubt: pipeline
 *  creation, then the bit-exact check, decide). */
export function int8MatrixOn(caps: GpuCapabilities): boolean {
  if (!caps.features.includes(SUBGROUP_MATRIX_FEATURE) || !caps.hasSubgroups) return false;
  if (!caps.subgroupMaxSize || caps.subgroupMinSize !== caps.subgroupMaxSize) return false;
  const configs = caps.subgroupMatrixConfigs;
  return (
    !configs ||
    configs.some(
      (c) => c.componentType === 'i8' && c.resultComponentType === 'i32' && c.M === 16 && c.N === 16 && c.K === 32,
    )
  );
}

/** int8MatrixOn, and the device was created with both features. */
export function hasInt8Matrix(device: GPUDevice, caps: GpuCapabilities): boolean {
  return (
    int8MatrixOn(caps) &&
    device.features.has(SUBGROUP_MATRIX_FEATURE as GPUFeatureName) &&
    device.features.has('subgroups' as GPUFeatureName)
  );
}

/** Stage buffers of a tile in workgroup memory (int8-matrix.wgsl NBUF). */
function stageBuffers(t: MatrixTile): number {
  return t.oneBuffer ? 1 : 2;
}

/** Result fragments (256 words) the epilogue puts in one band of a banded tile (int8-matrix.wgsl
 *  EPB): as many as the band holds, dividing FN. */
function fragmentsPerBand(t: MatrixTile): number {
  const bandWords = Math.max(4 * (t.bk + 16), 256);
  for (const e of [4, 2]) if (e * 256 <= bandWords && t.fn % e === 0) return e;
  return 1;
}

/** Bands the epilogue of a banded tile needs (int8-matrix.wgsl EBANDS). */
function epilogueBands(t: MatrixTile): number {
  return t.epilogueByFragment ? t.wgm * t.wgn : (t.wgm * t.wgn * t.fn) / fragmentsPerBand(t);
}

/** Workgroup memory (bytes) of int8-matrix.wgsl for a tile. */
function matrixStorage(t: MatrixTile): number {
  const bm = t.wgm * t.fm * 16;
  const bn = t.wgn * t.fn * 16;
  const rsw = (t.bk + 16) / 4;
  const nbuf = stageBuffers(t);
  if (t.band) {
    const bands = Math.max((nbuf * (bm + bn)) / 16, epilogueBands(t));
    return 4 * bands * (Math.max(16 * rsw, 256) + (t.bandPad ?? 0));
  }
  const stages = nbuf * (bm + bn) * rsw;
  const strips = t.wgm * t.wgn * 16 * t.fn * 16;
  return 4 * Math.max(stages, strips);
}

/** HP on transposed codes: the tile for Tr (or undefined where Tr or the device does not fit it). */
function hpXPlan(hp: HPMatrix, name: string, sg: number, limits: GPUSupportedLimits): MatrixTile | undefined {
  if (hp.tr % 16 !== 0 || hp.tr > 64) return undefined;
  const tile = HP_X_TILES[name](hp.tr);
  if (matrixStorage(tile) > limits.maxComputeWorkgroupStorageSize) return undefined;
  if (sg * tile.wgm * tile.wgn > limits.maxComputeInvocationsPerWorkgroup) return undefined;
  return tile;
}

/** HP's automatic variant, from the H200 (BENCHMARKS.md, int8, session 5; 4096 tokens, 90 %,
 *  32x32). X as columns (a transpose pass, or the quantizer writing columns; then 4-byte loads of
 *  four tokens of a kept column instead of byte gathers) where each code of X is gathered at
 *  least twice on average (tile-rows x kept columns >= 2 x in: 4096² 0.29 vs 0.51 ms, 312 ->
 *  1200 0.022 vs 0.027, 312 -> 936 0.019 vs 0.022); the byte gather below that (312 -> 312:
 *  0.0097 vs 0.0107; 1200 -> 312: equal), where the transpose costs what it saves. Long tile-rows
 *  (>= 256 kept columns) take the vec4 form (4096²: 0.223 ms; at 33 kept columns it loses:
 *  0.031 vs 0.022), or with `tensorCores` (the device runs the int8 subgroup matrices) and Tr a
 *  multiple of 16 up to 64 the tensor-core kernels (hpTensorTile by tokens and tile-rows; session 10,
 *  4096 -> 4096 at 90 %: x64e1p 0.016 / 0.028 / 0.051 / 0.098 / 0.197 ms vs dot4x-v64 0.031 /
 *  0.036 / 0.063 / 0.117 / 0.223 at 256 / 512 / 1024 / 2048 / 4096 tokens; session 11 x256e1pb 0.161 at 4096;
 *  at 50 % 0.577 vs 0.918; at the encoder's shorter tile-rows dot4 stays ahead). */
export function autoHpVariant(hp: HPShape, tensorCores = false): string {
  const kept = tileGrid(hp).tileRows * hp.m * hp.k;
  if (kept < 2 * hp.in) return 'dot4u';
  if (hp.m * hp.k < 256 || hp.tr % 4 !== 0) return 'dot4x';
  return tensorCores && hp.tr % 16 === 0 && hp.tr <= 64 ? HP_X_MATRIX : 'dot4x-v64';
}

function hpWorkgroupX(tr: number): number {
  for (let d = Math.min(16, tr); d >= 1; d--) if (tr % d === 0) return d;
  return 1;
}

export function createInt8Linear(
  device: GPUDevice,
  caps: GpuCapabilities,
  weights: Int8Weights,
  opts: Int8LinearOptions,
): GpuInt8Linear {
  const hp = weights.kind === 'hp' ? weights.hp : undefined;
  const nIn = hp ? hp.in : weights.kind === 'dense' ? weights.weight.cols : 0;
  const nOut = hp ? hp.out : weights.kind === 'dense' ? weights.weight.rows : 0;
  const label = opts.label ?? `int8 ${weights.kind} ${nOut}x${nIn}`;
  const maxTokens = opts.tokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 0)
    throw new RangeError(`${label}: tokens must be a non-negative integer`);
  if (opts.bias && opts.bias.length !== nOut)
    throw new RangeError(`${label}: bias has ${opts.bias.length} values, expected ${nOut}`);
  const known = hp ? HP_INT8_VARIANTS : [...INT8_VARIANTS, INT8_MATRIX];
  const ablated = opts.variant === undefined ? undefined : splitAblation(opts.variant, Boolean(hp));
  if (opts.variant !== undefined && !known.includes(opts.variant) && !ablated)
    throw new RangeError(`${label}: unknown variant '${opts.variant}' (${known.join(', ')})`);
  const limits = device.limits;
  const sg = caps.subgroupMaxSize ?? 32;
  const matrixHere = hasInt8Matrix(device, caps);
  // HP's automatic variant depends on the shape and the tensor cores only: fixed here.
  const hpTensor = hp && matrixHere && hpXPlan(hp, HP_X_MATRIX, sg, limits) !== undefined;
  const variant = hp && opts.variant === undefined ? autoHpVariant(hp, hpTensor) : opts.variant;
  const wantsMatrix = variant === INT8_MATRIX || Boolean(variant?.startsWith(`${INT8_MATRIX}-`));
  const needMatrix = (what: string) =>
    new RangeError(
      `${label}: the '${variant}' variant needs the i8 subgroup-matrix configuration ` +
        `(chromium-experimental-subgroup-matrix) with subgroups of one size${what}`,
    );
  // HP runs on subgroup matrices when asked, or automatically on long tile-rows (autoHpVariant).
  const hpXName = variant === INT8_MATRIX ? HP_X_MATRIX : hp && ablated ? ablated[0] : variant;
  const byTokens = hp && (opts.variant === undefined || opts.variant === INT8_MATRIX);
  const hpX = hp && matrixHere && hpXName && hpXName in HP_X_TILES ? hpXPlan(hp, hpXName, sg, limits) : undefined;
  // The 'x' variants read X as columns (int8-transpose): a transpose pass before the kernel.
  const colTile = hp && variant !== undefined && variant in HP_DOT4_C ? HP_DOT4_C[variant] : undefined;
  if (colTile && (hp!.tr % (4 * colTile.ro) !== 0 || nOut % 4 !== 0))
    throw new RangeError(`${label}: '${variant}' needs Tr a multiple of ${4 * colTile.ro} and out of 4`);
  const transposed = Boolean(hpX) || Boolean(colTile) || HP_DOT4_X.includes(variant ?? '');
  if (hp && wantsMatrix && !hpX)
    throw needMatrix(', Tr and Tc multiples of 16 (Tr <= 64) and its tiles in workgroup memory');

  const xw = int8RowWords(nIn);
  let wWords: Uint32Array;
  let scales: Float32Array;
  let cols: Uint32Array = new Uint32Array(4);
  let kw = xw;
  if (weights.kind === 'dense') {
    const w = weights.weight;
    if (w.bits !== 8) throw new RangeError(`${label}: int8 codes needed, got int${w.bits}`);
    wWords = packInt8Rows(w.q as Int8Array, nOut, nIn);
    scales = w.scales;
  } else if (hpX) {
    const layout = hpInt8Layout(weights.hp, weights.quant, { align: 32, rowMajor: true });
    wWords = layout.words;
    cols = layout.cols;
    kw = layout.qp / 4;
    scales = weights.quant.scales;
  } else {
    const layout = hpInt8Layout(weights.hp, weights.quant);
    wWords = layout.words;
    cols = layout.cols;
    kw = layout.qp / 4;
    scales = weights.quant.scales;
  }
  if (wWords.length < 4) wWords = new Uint32Array(4);
  // HP dot4 (rows or columns of X): the live tile-rows' map after the kept columns (LIVE_OFF).
  const liveRows = hp && opts.live && !hpX && !colTile ? liveTileRows(hp, opts.live.live) : undefined;
  const liveOff = cols.length;
  if (liveRows) cols = Uint32Array.from([...cols, ...liveRows]);
  checkStorageBinding(limits, `${label} weight codes`, wWords.byteLength);
  checkStorageBinding(limits, `${label} input codes (${maxTokens} tokens)`, maxTokens * xw * 4);
  checkStorageBinding(limits, `${label} output (${maxTokens} tokens)`, maxTokens * nOut * 4);
  const layout = kernelLayout(device, 'int8-linear', 7);
  const transposer: Int8Transposer | undefined = transposed
    ? createInt8Transposer(device, { maxTokens, xw, label: `${label} transpose` })
    : undefined;
  const xt = transposer
    ? device.createBuffer({
        label: `${label} x columns`,
        size: Math.max(16, xw * 4 * transposer.tw * 4),
        usage: GPUBufferUsage.STORAGE,
      })
    : undefined;
  if (xt) checkStorageBinding(limits, `${label} x columns`, xt.size);
  const bufs = [
    uploadBuffer(device, wWords, `${label} W codes`),
    uploadBuffer(device, scales, `${label} W scales`),
    uploadBuffer(device, opts.bias ?? new Float32Array(nOut), `${label} b`),
    uploadBuffer(device, cols, `${label} kept columns`),
  ];
  // The kernels' params.xw: words of an X row, or (transposed) of an X column.
  const cache = new BindingCache(device, label, [nOut, transposer ? transposer.tw : xw, kw]);
  const gelu = Boolean(opts.gelu);
  const tr = hp?.tr ?? 0;
  const units = opts.matrixUnits ?? MATRIX_UNIT_CHOICES[0];

  function columnsDispatch(tokens: number, t: { bt: number; rt: number; ro: number }) {
    const [wx, bt4] = [tr / 4 / t.ro, t.bt / 4];
    const kc = Math.max(1, Math.min(16, kw));
    const name = `dot4c-hp-${t.bt}/${4 * t.rt}x${4 * t.ro}`;
    const pipeline = cachedPipeline(
      device,
      layout,
      int8HpColumnsWgsl,
      { TR: tr, WX: wx, WY: bt4 / t.rt, BT4: bt4, RT: t.rt, RO: t.ro, KC: kc, BIAS: true, GELU: gelu },
      `int8-hp-columns ${name}${gelu ? ' gelu' : ''}`,
      int8BytesWgsl,
    );
    const storageBytes = kc * (bt4 + tr / 4) * 16;
    const grid = { x: tileGrid(hp!).tileRows, y: Math.ceil(tokens / t.bt) };
    return { name, pipeline, workgroup: { x: wx, y: bt4 / t.rt, storageBytes }, grid };
  }

  function dot4(tokens: number): KernelDispatch & { name: string } {
    if (colTile) return columnsDispatch(tokens, colTile);
    let wx: number, tn: number, wy: number, tm: number, name: string;
    // Unrolled: HP unless 'dot4' is asked for (H200, 4096 x 312 -> 1200 at 90 %: 0.0263-0.0266 vs
    // 0.0273 ms; 4096²: 0.511 vs 0.537); dense only when asked (dot4-64: 2.42 vs 2.49 ms at 4096³).
    const unroll = hp ? variant !== 'dot4' : variant === 'dot4-64u' || variant === 'dot4-128u';
    // HP 'dot4u-n4' / 'dot4u-n8' / 'dot4x-n4': 4 or 8 outputs per invocation (more reuse of each
    // gathered word), 256 invocations down the tokens.
    const v = variant;
    const wide = v === 'dot4u-n4' || v === 'dot4x-n4' ? 4 : v === 'dot4u-n8' ? 8 : 0;
    const x = transposed ? 'x' : '';
    const vec = hp && v !== undefined && v in HP_DOT4_VEC && tr % 4 === 0 ? HP_DOT4_VEC[v] : undefined;
    if (vec) {
      wx = tr / 4;
      tn = 4;
      tm = vec.tm;
      wy = vec.bm / tm;
      name = `dot4-hp-${vec.bm}x${tm}v`;
    } else if (hp && wide && tr % wide === 0) {
      wx = tr / wide;
      tn = wide;
      wy = Math.max(1, Math.floor(256 / wx));
      tm = tokens >= 2048 ? 4 : 2;
      name = `dot4-hp-${tm}u${x}-n${wide}`;
    } else if (hp) {
      wx = hpWorkgroupX(tr);
      tn = tr / wx;
      wy = 16;
      tm = tokens >= 2048 ? 4 : 2;
      name = `dot4-hp-${tm}${unroll ? 'u' : ''}${x}`;
    } else {
      // 128 x 128 tiles only when asked: on the H200 they ran 15-22 ms at 4096³ with the loops as
      // written (the 8 x 8 accumulators left in an indexed local array), 3.1 ms unrolled, against
      // 2.4 ms for 64 x 64 (BENCHMARKS.md, int8).
      const large = variant === 'dot4-128' || variant === 'dot4-128u';
      wx = 16;
      wy = 16;
      tm = large ? 8 : 4;
      tn = tm;
      name = `${large ? 'dot4-128' : 'dot4-64'}${unroll ? 'u' : ''}`;
    }
    // HP: K steps of the tile-row's kept words where fewer than 16 (the encoder's 33 kept columns at
    // 90 %: 9 words, not 16 of which 7 zero).
    const bk = hp ? Math.max(1, Math.min(16, kw)) : 16;
    const live = liveRows !== undefined && tokens >= opts.live!.minTokens;
    const pipeline = cachedPipeline(
      device,
      layout,
      int8Wgsl,
      {
        ...{ WX: wx, WY: wy, TM: tm, TN: tn, TM4: tm / 4, TN4: tn / 4, BK: bk },
        ...{ HP: Boolean(hp), HPX: transposed, UNROLL: unroll, VEC: Boolean(vec), BIAS: true, GELU: gelu },
        ...(live ? { LIVE: true, LIVE_OFF: liveOff } : { LIVE: false }),
      },
      `int8-linear ${name}${gelu ? ' gelu' : ''}${live ? ' live' : ''}`,
      int8BytesWgsl,
    );
    const rowsRun = live ? liveRows.length : hp ? tileGrid(hp).tileRows : 0;
    const grid = { x: hp ? rowsRun : Math.ceil(nOut / (wx * tn)), y: Math.ceil(tokens / (wy * tm)) };
    return {
      name: live ? `${name}-live` : name,
      pipeline,
      workgroup: { x: wx, y: wy, storageBytes: bk * (wy * tm + wx * tn) * 4 },
      grid,
    };
  }

  function matrix(name: string, t: MatrixTile, tokens: number, ablations: readonly string[] = []) {
    const abl = (a: string) => ablations.includes(a);
    const values = {
      ...{ ABL_GLOBAL: abl('global'), ABL_STASH: abl('stash'), ABL_MMA: abl('mma'), ABL_BARRIER: abl('barrier') },
      SG: sg,
      WGM: t.wgm,
      WGN: t.wgn,
      FM: t.fm,
      FN: t.fn,
      BK: t.bk,
      HPX: Boolean(hpX),
      TR: tr || 16,
      BAND: Boolean(t.band),
      NBUF: stageBuffers(t),
      EPB: fragmentsPerBand(t),
      EPF: Boolean(t.band && t.epilogueByFragment),
      EBANDS: t.band ? epilogueBands(t) : 1,
      EPFT: 256 / sg,
      EUNROLL: Boolean(t.epilogueUnrolled),
      BANDPAD: t.bandPad ?? 0,
      REGS: probeRegisters(ablations),
      KPRE: Boolean(hpX && t.keptAhead),
      EPIT: (16 * t.fn * 16) / sg,
      KSTEPS: t.bk / 32,
      OFF_DIV: units.offDiv,
      STRIDE_DIV: units.strideDiv,
      BIAS: true,
      GELU: gelu,
    };
    const pipeline = cachedPipeline(
      device,
      layout,
      int8MatrixWgsl,
      values,
      `int8-matrix ${name} ${units.offDiv}/${units.strideDiv}${gelu ? ' gelu' : ''}`,
      int8BytesWgsl,
    );
    const [bm, bn] = [t.wgm * t.fm * 16, t.wgn * t.fn * 16];
    return {
      name,
      pipeline,
      workgroup: { x: sg * t.wgm * t.wgn, y: 1, storageBytes: matrixStorage(t) },
      grid: { x: Math.ceil(nOut / bn), y: Math.ceil(tokens / bm) },
    };
  }

  /** The dense matrix tiles this device can run. */
  const denseTiles = Object.keys(MATRIX_TILES).filter((name) => {
    const t = MATRIX_TILES[name];
    return (
      matrixHere &&
      matrixStorage(t) <= limits.maxComputeWorkgroupStorageSize &&
      sg * t.wgm * t.wgn <= limits.maxComputeInvocationsPerWorkgroup
    );
  });

  /** Dense, measured on the H200 (BENCHMARKS.md, int8, session 4, two calls): 128 x 128 blocks
   *  of 16 subgroups of 32 x 32 in banded workgroup memory (4096³: 1.00 ms vs 1.54 flat, 1.84 for
   *  8 subgroups of 32 x 64; 4096 x 312 -> 1200: 0.050 vs 0.068), else the next tile that fits the
   *  device, banded first (the same memory traffic without the predicated loads). At every size:
   *  the 256 x 128 blocks that large products took since session 5 (0.961 vs 1.005 ms at 4096³
   *  then) lose since the staging stores pick their words by selects (session 7, 4096³, two calls,
   *  both orders in one process: 0.470 vs 0.498 ms). Session 9: where K >= 2048, the same blocks
   *  with stages of 128 codes in one buffer and the epilogue written out (128sb1ke: 0.412 vs 0.481
   *  ms at 4096³ in one process; 128sb1k 0.426 in two). Below, 128sb as before: at K = 312 the
   *  stages of 128 pad K to 384 (0.032-0.035 vs 0.034 ms), and 128sbe, faster kernel by kernel at
   *  the encoder's shapes (0.030 / 0.022 / 0.0205 vs 0.034 / 0.023 / 0.023 ms), made the one
   *  encoder forward measured with it (128sb1ke at K = 1200) slower: 0.773 vs 0.737 ms (dense
   *  int8, B = 32, L = 128), though its per-op profile summed 0.033 ms less. */
  function autoMatrixTile(): string {
    const long = nIn >= 2048 ? ['matrix-128sb1ke'] : [];
    const order = [...long, 'matrix-128sb', 'matrix-128s', 'matrix-128', 'matrix-64b', 'matrix-64'];
    order.push(...denseTiles);
    return order.find((t) => denseTiles.includes(t))!;
  }

  // The dispatch per token count, worked out once (expanding the WGSL template and keying the
  // pipeline cache by its source costs CPU time at every encode otherwise).
  const dispatches = new Map<number, KernelDispatch & { name: string }>();
  function dispatchFor(tokens: number): KernelDispatch & { name: string } {
    let d = dispatches.get(tokens);
    if (!d) dispatches.set(tokens, (d = chooseDispatch(tokens)));
    return d;
  }

  function chooseDispatch(tokens: number): KernelDispatch & { name: string } {
    if (hpX) {
      // Automatic / 'matrix': the tile by token count (the weights' layout is the same for both).
      const name = byTokens ? hpTensorTile(tokens, tileGrid(hp!).tileRows) : hpXName!;
      if (ablated) return matrix(`${variant}-hp`, hpX, tokens, ablated[1]);
      const tile = name === hpXName ? hpX : hpXPlan(hp!, name, sg, limits);
      return tile ? matrix(`${name}-hp`, tile, tokens) : matrix(`${hpXName!}-hp`, hpX, tokens);
    }
    if (hp) return dot4(tokens);
    const v = variant;
    if (v === undefined || v === INT8_MATRIX) {
      if (denseTiles.length) {
        const name = autoMatrixTile();
        return matrix(name, MATRIX_TILES[name], tokens);
      }
      if (v === INT8_MATRIX) throw needMatrix('');
      return dot4(tokens);
    }
    const [tile, ablations] = ablated ?? [v, []];
    if (tile in MATRIX_TILES) {
      if (!denseTiles.includes(tile)) throw needMatrix(' and room for its tile in workgroup memory');
      return matrix(v, MATRIX_TILES[tile], tokens, ablations);
    }
    return dot4(tokens);
  }

  let destroyed = false;
  /** The kernel on codes `xb` (rows, or columns where `transposer`), scales `sb`, into `yb`. */
  function run(target: EncodeTarget, xb: GPUBufferBinding, sb: GPUBufferBinding, yb: GPUBufferBinding, tokens: number) {
    checkBufferArg(`${label} input scales`, sb, tokens * 4);
    checkBufferArg(`${label} output`, yb, tokens * nOut * 4);
    const group = cache.bindGroup(layout.group, tokens, [
      xb,
      sb,
      { buffer: bufs[0] },
      { buffer: bufs[1] },
      { buffer: bufs[2] },
      { buffer: bufs[3] },
      yb,
    ]);
    runDispatch(target, limits, label, dispatchFor(tokens), group);
  }
  const ready = (tokens: number) => {
    if (destroyed) throw new Error(`${label}: used after destroy()`);
    checkTokens(tokens, maxTokens, label);
    return tokens > 0;
  };
  return {
    kind: weights.kind,
    in: nIn,
    out: nOut,
    inWords: xw,
    maxTokens,
    columnWords: transposer?.tw,
    ops: (tokens = maxTokens) => 2 * tokens * (hp ? tileGrid(hp).tileRows * tr * hp.m * hp.k : nIn * nOut),
    variantFor: (tokens = maxTokens) => dispatchFor(tokens).name,
    encode(target, xq, xs, y, tokens = maxTokens) {
      if (!ready(tokens)) return;
      const xb = asBinding(xq);
      checkBufferArg(`${label} input codes`, xb, tokens * xw * 4);
      if (transposer && xt) transposer.encode(target, xb, { buffer: xt }, tokens);
      run(target, xt ? { buffer: xt } : xb, asBinding(xs), asBinding(y), tokens);
    },
    encodeColumns(target, xtArg, xs, y, tokens = maxTokens) {
      if (!transposer) throw new Error(`${label}: this kernel reads X as rows (encode)`);
      if (!ready(tokens)) return;
      const xb = asBinding(xtArg);
      checkBufferArg(`${label} input columns`, xb, xw * 4 * transposer.tw * 4);
      run(target, xb, asBinding(xs), asBinding(y), tokens);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const b of bufs) b.destroy();
      cache.destroy();
      transposer?.destroy();
      xt?.destroy();
    },
  };
}

/** One line for the GPU panel: whether the int8 kernels can reach the tensor cores here, and
 *  how to turn that on. */
export function describeInt8Path(caps: GpuCapabilities): string {
  const i8 = (caps.subgroupMatrixConfigs ?? []).filter((c) => c.componentType === 'i8');
  if (int8MatrixOn(caps)) {
    const shapes = i8.map((c) => `i8 x i8 -> ${c.resultComponentType} ${c.M}x${c.N}x${c.K}`).join(', ');
    return (
      `tensor-core path on: subgroup matrices ${shapes || '(configurations not reported)'} ` +
      `run the int8 dense and HP kernels ('matrix' variants)`
    );
  }
  const why = !caps.features.includes(SUBGROUP_MATRIX_FEATURE)
    ? 'no subgroup matrices'
    : !i8.length
      ? 'subgroup matrices without an i8 configuration'
      : 'subgroup matrices, but no subgroups of one fixed size';
  return (
    `tensor-core path off (${why}): int8 runs on dot4I8Packed, four int8 products per instruction. ` +
    'Chromium offers subgroup matrices (chromium-experimental-subgroup-matrix) with ' +
    'chrome://flags/#enable-unsafe-webgpu or --enable-unsafe-webgpu; the CLI with HP_LAB_UNSAFE_APIS=1.'
  );
}
