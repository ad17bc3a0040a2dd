// hp-lab bench: times the project's WGSL linear kernels on this machine's WebGPU adapter (Dawn)
// and verifies each result against a float64 CPU reference (sampled rows for big shapes).
import { parseFlags, numberFlag, numberListFlag, tileFlag } from '../args';
import { checkStorageBinding } from '../../gpu/limits';
import { CliError } from '../cli-error';
import { wrapHelp } from '../help-text';
import { nodeGpu } from '../../gpu/node-gpu';
import {
  createDenseLinear,
  createHPLinear,
  type GpuLinear,
  type HPLinearOptions,
  type WeightPrecision,
} from '../../gpu/kernels';
import { COLUMN_TILES } from '../../gpu/kernels/hp-columns';
import { columnsView } from '../../lab/hp-columns-view';
import { HP_TILES, MAX_SPLIT_K, SUBGROUP_TILE, denseTilesFor } from '../../gpu/kernels/variant-rule';
import {
  denseReference,
  hpReference,
  storedHP,
  storedWeights,
  type ReferenceResult,
} from '../../gpu/kernels/cpu-reference';
import { linearBuffers, referenceRows, verifyAndTimeLinear } from '../../lab/kernel-bench';
import { randomArray, randomHP, rng, planHP } from '../../gpu/kernels/random-hp';
import { runVerifySuite } from '../../lab/kernel-verify';
import type { AcquiredGpu } from '../../gpu/adapter';
import { deviceHasSubgroups } from '../../gpu/kernels/subgroup-variant';
import {
  HP_INT8_VARIANTS,
  INT8_MATRIX,
  INT8_VARIANTS,
  splitAblation,
  type Int8Weights,
} from '../../gpu/kernels/int8-linear';
import { benchInt8 } from '../../lab/int8-bench';
import { quantizeHP, quantizeRows } from '../../core/quant';
import { benchAttention, INT8_ATTENTION_VARIANTS } from '../../lab/attention-bench';
import { int8MatrixAttentionOn, parseInt8MatrixVariant } from '../../gpu/encoder/attention-int8-matrix';
import { benchPeak } from '../../lab/peak-bench';
import { benchResidencyCmd, residencyUsage } from './bench-residency';
import { ATTENTION_VARIANTS } from '../../gpu/encoder/attention';
import { ABLATIONS } from '../../gpu/encoder/attention-tiled';

// The int8 variants named from their registries (int8-linear.ts), so the help lists every one.
const int8VariantsHelp = wrapHelp(
  `--quant int8: the int8 kernels instead (W per output row, X per token, quantized on the GPU), each verified ` +
    `bit for bit against the CPU int8 reference on sampled rows. matmul --tile: ${INT8_VARIANTS.join(', ')}, ` +
    `${INT8_MATRIX} (the automatic tensor-core tile). hp --variant: ${HP_INT8_VARIANTS.join(', ')}. ` +
    `dot4…: dot4I8Packed, four int8 products an instruction, on every adapter; matrix…: the tensor cores ` +
    `(i8 subgroup matrices, where the adapter offers them: run with HP_LAB_UNSAFE_APIS=1 for Dawn's unsafe ` +
    `APIs). In a dense matrix tile's name: b banded workgroup memory, s 16 subgroups of 32 x 32, w 4 of 64 x 64, ` +
    `t 8 of 64 x 32, 1 one stage buffer, k stages of 128 codes, e the epilogue written out, f the epilogue a ` +
    `fragment at a time; HP dot4x…, dot4c… and matrix-x…: X as columns. --tile (matmul) / --variant (hp) all times ` +
    `every variant, a comma list the ones named; a dense matrix tile with '~global', '~stash', '~mma' or ` +
    `'~barrier' (joined by '+') runs without that part of its loop (measurement only: wrong results, reported ` +
    `unverified);`,
);

export const usage =
  `hp-lab bench matmul --m M --k K --n N [--reps R] [--tile NAME|subgroup|all] ` +
  `[--weights f32|f16] [--gelu] [--split-k P,...|auto]
hp-lab bench hp --m M --k K --n N --sparsity S [--tile 32x32] [--split F] [--reps R] ` +
  `[--variant NAME|subgroup|all] [--weights f32|f16] [--gelu] [--columns]
hp-lab bench verify [--quick]
hp-lab bench peak [--family mma,dot4,fma] [--only NAME,..] [--workgroups W] [--iters N] [--reps R]
hp-lab bench attention [--batch 1,32] [--seq 64,128] [--hidden 312] [--heads 12] [--block 312,320]
  [--variant all|V,V..] [--reps R] [--ablate none,loads,scores,values,exp,kread1,vread1] [--quant int8]
  [--reads N,N,../N,N,..|all] [--residency]
  Y = X·Wᵀ + b with X: M tokens x K, W: N x K (dense, or HP-pruned to sparsity S with Tr x Tc
  tiles; --split F in [0,1] = the share of the pruning done at tile level, in log terms:
  tiles kept = d^F, columns kept = d^(1-F), d = 1 - S; default 0.5). Prints JSON with the
  adapter, median ms, GFLOP/s (actual and dense-equivalent), the timing source and whether the
  GPU result matched the CPU reference. 'subgroup' is the few-token variant (devices with the
  'subgroups' feature); 'all' times every variant. --weights f16 stores W (or the HP
  values) as f16 on the GPU, math in f32; the reference then uses the f16-rounded weights. ` +
  `'verify' runs the correctness battery of all kernels. --columns (hp): the kernel on X as
  columns (variants: its column tiles, c128/8x8 ..., all), each alone, then the automatic one
  with the transpose of X in the same pass.
${int8VariantsHelp}
  --spin-up MS runs each int8 variant for MS ms (then until its times settle) before timing it,
  so the GPU is at its working clock (it idles lower while the CPU verifies); quantize_forms_ms:
  the quantizer alone, codes as rows / as columns, with subgroupMax or a tree of barriers.
  --split-k (matmul, f32): each tile also with its K-range in P slices (partial sums, added on the
  CPU for the check; auto = the encoder's choice).
  'attention' times the encoder's fused attention kernel alone, each variant (all: every one, the
  default; for f32 on a software adapter the default is auto, as ~100 pipelines outgrow a machine's
  memory there; with all, those the device cannot run at a shape are left out and listed: skipped), on
  random Q/K/V rows of three blocks of --block floats (312: the dense Q/K/V linear's layout, 320:
  the stacked HP one's; rows of a multiple of 64 floats padded by 8, as the engine pads stacked HP
  rows), some sequences padded, checked against the CPU reference on two sequences.
  --ablate times the variants again without a stage each (loads: K/V global loads, scores: Q.K
  products, values: P.V products, exp: the exponentials; kread1 / vread1: the same products from one
  quad of workgroup memory a key instead of all of them; wrong results, not checked): the tiled
  'b' variants know the first three, the subgroup ('g') ones also exp, the written-out ('u', 'v',
  'f') and blocked ('r') ones more. --reads: per head, how many of its value dims a later kernel
  reads (random ones; 0: the head is not run, as the engine's dead heads), a pattern per '/';
  the whole-sequence 'v' and 'r' variants compute those alone (value_dims: the most a head); only
  the read dims are checked. --residency: each whole-sequence ('h') variant also runs once with its
  workgroups counting themselves in and out (atomics): resident = the most live at once (an SM's
  share: resident / SMs, where the grid is larger), finished = the grid.
  --quant int8: the integer attention instead (variants int8: dot4I8Packed, int8-matrix: subgroup
  matrices, run with HP_LAB_UNSAFE_APIS=1), every sequence checked against the CPU's
  (int-attention.ts; an output more than 1e-6 off counts as a mismatch).
  'peak' times the adapter's ceilings through WebGPU, nothing but the operation in the loop:
  mma = subgroupMatrixMultiplyAccumulate on fragments in registers, for each i8/u8 configuration
  the adapter offers (with HP_LAB_UNSAFE_APIS=1) and 1x1..4x4 accumulators per subgroup, and for
  i8 with the fragments reloaded from workgroup memory every step (-lds flat, -ldsb banded: the
  int8 tiles' inner loop without its staging); dot4 = dot4I8Packed / dot4U8Packed chains (4, 8,
  16 per invocation); fma = f32 fma chains. Each output is checked exactly against the CPU's
  count, then timed; TOPS = multiply-adds x 2 per second. --iters: loop iterations of 4 steps
  (default 256; fma 512), --workgroups: grid (default 4096; 4 subgroups or 256 invocations each).
${residencyUsage}`;

const MAX_REF_MACS = 4e8; // CPU reference budget per case: sampled rows beyond this

/** Times each linear (one per tile config) and verifies each against the reference, with the
 *  one harness of lab/kernel-bench.ts. */
async function timeAndVerify(
  gpu: AcquiredGpu,
  linears: GpuLinear[],
  x: Float32Array,
  tokens: number,
  reps: number,
  reference: (rows: number[]) => ReferenceResult,
) {
  const c = { name: 'bench', tokens, in: linears[0].in, out: linears[0].out };
  const rows = referenceRows(c, MAX_REF_MACS, 64);
  const ref = reference(rows);
  const parts = Math.max(...linears.map((l) => l.partsFor?.(tokens) ?? 1));
  const bufs = linearBuffers(gpu.device, x, tokens, c.out, parts);
  try {
    const results = [];
    for (const lin of linears) {
      const r = await verifyAndTimeLinear(gpu, lin, bufs, c, rows, ref, { reps });
      lin.destroy();
      results.push({
        tile: r.tile,
        ms_median: r.ms,
        ms_min: r.msMin,
        timing: r.timing,
        repeats_per_sample: r.repeatsPerSample,
        verified: r.verified,
        max_error: r.maxError,
        ...(r.firstMismatch ? { first_mismatch: r.firstMismatch } : {}),
      });
    }
    return { results, checkedRows: rows.length };
  } finally {
    bufs.destroy();
  }
}

/** No WebGPU implementation binds more than 4 GiB as one storage buffer: refuse bigger operands
 *  before acquiring the GPU or allocating anything (M = K = 2^20 allocated 4.3 GB, then failed). */
const MAX_OPERAND_BYTES = 2 ** 32;

function checkHostSizes(operands: Record<string, number>): void {
  for (const [name, values] of Object.entries(operands)) {
    if (values * 4 > MAX_OPERAND_BYTES)
      throw new CliError(
        `${name} would hold ${values.toExponential(2)} floats (${((values * 4) / 2 ** 30).toFixed(0)} GiB); ` +
          `WebGPU binds at most 4 GiB per buffer: use smaller --m/--k/--n`,
      );
  }
}

/** The operands against this device's buffer limits, before any array is allocated. */
function checkDeviceSizes(gpu: AcquiredGpu, operands: Record<string, number>): void {
  try {
    for (const [name, values] of Object.entries(operands))
      checkStorageBinding(gpu.device.limits, `bench ${name}`, values * 4);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** --split-k: a comma list of K-slice counts (1..MAX_SPLIT_K) or 'auto'; default 1. */
function splitKFlag(v: string | undefined): (number | 'auto')[] {
  if (v === undefined) return [1];
  return v.split(',').map((s) => {
    if (s === 'auto') return 'auto';
    const p = Number(s);
    if (!Number.isInteger(p) || p < 1 || p > MAX_SPLIT_K)
      throw new CliError(`--split-k takes counts in [1, ${MAX_SPLIT_K}] or auto, got '${s}'`);
    return p;
  });
}

function weightsFlag(v: string | undefined): WeightPrecision {
  if (v === undefined || v === 'f32' || v === 'f16') return v ?? 'f32';
  throw new CliError(`--weights must be f32 or f16, got '${v}'`);
}

/** The tile the automatic choice would use for `tokens` (what the encoder and the app run). */
function autoChoice(lin: GpuLinear, tokens: number): string {
  const name = lin.tileFor(tokens);
  lin.destroy();
  return name;
}

function gflops(flops: number, ms: number): number {
  return ms > 0 ? Number((flops / ms / 1e6).toFixed(1)) : 0;
}

async function benchMatmul(argv: string[]) {
  const { values } = parseFlags(argv, {
    m: { type: 'string' },
    k: { type: 'string' },
    n: { type: 'string' },
    reps: { type: 'string' },
    tile: { type: 'string' },
    gelu: { type: 'boolean' },
    weights: { type: 'string' },
    quant: { type: 'string' },
    'split-k': { type: 'string' },
    'spin-up': { type: 'string' },
  });
  const weights = weightsFlag(values.weights);
  const int8 = quantFlag(values.quant);
  const splits = splitKFlag(values['split-k']);
  const m = numberFlag(values.m, 'm', 256, 1, 1 << 20, true);
  const k = numberFlag(values.k, 'k', 256, 1, 1 << 20, true);
  const n = numberFlag(values.n, 'n', 256, 1, 1 << 20, true);
  const reps = numberFlag(values.reps, 'reps', 20, 1, 10000, true);
  const spinUp = numberFlag(values['spin-up'], 'spin-up', 0, 0, 60000, true);
  checkHostSizes({ X: m * k, W: n * k, Y: m * n });
  const gpu = await nodeGpu();
  checkDeviceSizes(gpu, { X: m * k, W: n * k, Y: m * n });
  const rand = rng(1);
  const x = randomArray(m * k, rand);
  const w = randomArray(n * k, rand, 1 / Math.sqrt(k));
  const bias = randomArray(n, rand);
  if (int8)
    return {
      bench: 'matmul',
      quant: 'int8',
      adapter: gpu.caps.label,
      m,
      k,
      n,
      reps,
      ...(await int8Report(
        gpu,
        { kind: 'dense', weight: quantizeRows(w, n, k, 8) },
        x,
        m,
        bias,
        { reps, spinUp },
        values.tile,
        2 * m * k * n,
        2 * m * k * n,
      )),
    };
  const subgroupTiles = deviceHasSubgroups(gpu.device) && k % 4 === 0 ? [SUBGROUP_TILE] : [];
  const tiles =
    values.tile === 'all'
      ? [...denseTilesFor(gpu.caps).map((t) => t.name), ...subgroupTiles]
      : (values.tile?.split(',') ?? [undefined]);
  const gelu = Boolean(values.gelu);
  if (gelu && splits.some((p) => p !== 1)) throw new CliError('--split-k writes partial sums: drop --gelu');
  const dense = (tile: string | undefined, splitK: number | 'auto' | undefined) =>
    createDenseLinear(gpu.device, gpu.caps, { tokens: m, in: k, out: n, weight: w, bias, gelu, tile, weights, splitK });
  const linears = tiles.flatMap((tile) =>
    (tile === SUBGROUP_TILE ? [undefined] : splits).map((splitK) => dense(tile, splitK)),
  );
  const autoTile = autoChoice(dense(undefined, splits.length > 1 || splits[0] !== 1 ? 'auto' : undefined), m);
  const wRef = storedWeights(w, weights);
  const { results, checkedRows } = await timeAndVerify(gpu, linears, x, m, reps, (rows) =>
    denseReference(x, wRef, bias, k, n, rows, gelu),
  );
  const flops = 2 * m * k * n;
  const best = results.reduce((a, b) => (b.ms_median < a.ms_median ? b : a));
  return {
    bench: 'matmul',
    adapter: gpu.caps.label,
    m,
    k,
    n,
    gelu,
    weights,
    reps,
    auto_tile: autoTile,
    ms_median: best.ms_median,
    gflops: gflops(flops, best.ms_median),
    dense_equiv_gflops: gflops(flops, best.ms_median),
    verified: results.every((r) => r.verified),
    timing: best.timing,
    repeats_per_sample: best.repeats_per_sample,
    tile: best.tile,
    checked_rows: checkedRows,
    ...(results.length > 1
      ? { per_tile: results.map((r) => ({ ...r, gflops: gflops(flops, r.ms_median) })) }
      : { max_error: best.max_error, ...(best.first_mismatch ? { first_mismatch: best.first_mismatch } : {}) }),
  };
}

async function benchHP(argv: string[]) {
  const { values } = parseFlags(argv, {
    m: { type: 'string' },
    k: { type: 'string' },
    n: { type: 'string' },
    sparsity: { type: 'string' },
    tile: { type: 'string' },
    split: { type: 'string' },
    reps: { type: 'string' },
    variant: { type: 'string' },
    gelu: { type: 'boolean' },
    weights: { type: 'string' },
    quant: { type: 'string' },
    columns: { type: 'boolean' },
    'spin-up': { type: 'string' },
  });
  const weights = weightsFlag(values.weights);
  const int8 = quantFlag(values.quant);
  if (values.columns && int8)
    throw new CliError('--columns is the f32 HP kernel on X as columns: not with --quant int8');
  const m = numberFlag(values.m, 'm', 256, 1, 1 << 20, true);
  const k = numberFlag(values.k, 'k', 256, 1, 1 << 20, true);
  const n = numberFlag(values.n, 'n', 256, 1, 1 << 20, true);
  const sparsity = numberFlag(values.sparsity, 'sparsity', 0.9, 0, 1);
  const split = numberFlag(values.split, 'split', 0.5, 0, 1);
  const reps = numberFlag(values.reps, 'reps', 20, 1, 10000, true);
  const spinUp = numberFlag(values['spin-up'], 'spin-up', 0, 0, 60000, true);
  const [tr, tc] = tileFlag(values.tile);
  if (tr % 4 !== 0 || tr > 128 || tc < 1 || tc > 256)
    throw new CliError(`--tile: Tr must be a multiple of 4 up to 128 and Tc in [1, 256], got ${tr}x${tc}`);
  checkHostSizes({ X: m * k, 'dense W (the reference)': n * k, Y: m * n });
  const plan = planHP(n, k, tr, tc, sparsity, split);
  const gpu = await nodeGpu();
  checkDeviceSizes(gpu, { X: m * k, Y: m * n });
  const rand = rng(2);
  const x = randomArray(m * k, rand);
  const bias = randomArray(n, rand);
  const hp = randomHP(n, k, tr, tc, plan.m, plan.k, rand, 1 / Math.sqrt(Math.max(1, plan.density * k)));
  if (int8) {
    const report = await int8Report(
      gpu,
      { kind: 'hp', hp, quant: quantizeHP(hp, 8) },
      x,
      m,
      bias,
      { reps, spinUp },
      values.variant,
      2 * m * plan.storedValues,
      2 * m * k * n,
    );
    return {
      bench: 'hp',
      quant: 'int8',
      adapter: gpu.caps.label,
      m,
      k,
      n,
      tr,
      tc,
      sparsity_requested: sparsity,
      split,
      m_tiles: plan.m,
      k_cols: plan.k,
      density: Number(plan.density.toFixed(5)),
      reps,
      ...report,
    };
  }
  const subgroupTiles = deviceHasSubgroups(gpu.device) ? [SUBGROUP_TILE] : [];
  const variants = values.columns
    ? columnVariants(values.variant)
    : values.variant === 'all'
      ? [...HP_TILES.map((t) => t.name), ...subgroupTiles]
      : [values.variant];
  const gelu = Boolean(values.gelu);
  const linears: GpuLinear[] = [];
  const skipped: string[] = [];
  for (const tile of variants) {
    const lin = values.columns
      ? columnsLinear(gpu, { tokens: m, hp, bias, gelu, weights }, tile)
      : createHPLinear(gpu.device, gpu.caps, { tokens: m, hp, bias, gelu, tile, weights });
    try {
      lin.tileFor(m); // throws when a forced variant does not fit this Tr on this device
      linears.push(lin);
    } catch (err) {
      lin.destroy();
      if (values.variant !== 'all') throw err;
      skipped.push(`${tile}: ${(err as Error).message}`);
    }
  }
  if (linears.length === 0) throw new CliError(`no HP variant fits: ${skipped.join('; ')}`);
  const autoVariant = autoChoice(createHPLinear(gpu.device, gpu.caps, { tokens: m, hp, bias, gelu, weights }), m);
  const hpRef = storedHP(hp, weights);
  const flops = 2 * m * plan.storedValues;
  const { results, checkedRows } = await timeAndVerify(gpu, linears, x, m, reps, (rows) =>
    hpReference(x, hpRef, bias, rows, gelu),
  );
  const best = results.reduce((a, b) => (b.ms_median < a.ms_median ? b : a));
  return {
    bench: 'hp',
    adapter: gpu.caps.label,
    m,
    k,
    n,
    tr,
    tc,
    sparsity_requested: sparsity,
    split,
    m_tiles: plan.m,
    k_cols: plan.k,
    tiles_per_row: plan.tilesPerRow,
    density: Number(plan.density.toFixed(5)),
    sparsity_actual: Number((1 - plan.density).toFixed(5)),
    gelu,
    weights,
    reps,
    auto_variant: autoVariant,
    ms_median: best.ms_median,
    gflops: gflops(flops, best.ms_median),
    dense_equiv_gflops: gflops(2 * m * k * n, best.ms_median),
    verified: results.every((r) => r.verified),
    timing: best.timing,
    repeats_per_sample: best.repeats_per_sample,
    variant: best.tile,
    checked_rows: checkedRows,
    ...(skipped.length ? { skipped } : {}),
    ...(results.length > 1
      ? { per_variant: results.map((r) => ({ ...r, gflops: gflops(flops, r.ms_median) })) }
      : { max_error: best.max_error, ...(best.first_mismatch ? { first_mismatch: best.first_mismatch } : {}) }),
  };
}

/** --columns: the column tiles named (all: every tile and K-steps of 8 and 32 kept columns for
 *  two), each timed alone ('kernel'), then the automatic one with its transpose ('transpose'). */
function columnVariants(v: string | undefined): (string | undefined)[] {
  const names =
    v === 'all'
      ? [...COLUMN_TILES.map((t) => t.name), 'c128/8x8/k8', 'c128/8x8/k32', 'c64/8x4/k8', 'c64/8x4/k32']
      : v
        ? v.split(',')
        : [undefined];
  return [...names.map((n) => `kernel:${n ?? ''}`), 'transpose:'];
}

function columnsLinear(gpu: AcquiredGpu, o: Omit<HPLinearOptions, 'columnTile'>, variant: string | undefined) {
  const [mode, tile] = (variant ?? 'kernel:').split(':') as ['kernel' | 'transpose', string];
  const lin = createHPLinear(gpu.device, gpu.caps, { ...o, ...(tile ? { columnTile: tile } : {}) });
  return columnsView(gpu.device, lin, mode);
}

function quantFlag(v: string | undefined): boolean {
  if (v === undefined || v === 'f32') return false;
  if (v === 'int8') return true;
  throw new CliError(`--quant must be f32 or int8, got '${v}'`);
}

/** The int8 kernels (lab/int8-bench.ts) on one case, as JSON: the best verified variant first. */
async function int8Report(
  gpu: AcquiredGpu,
  weights: Int8Weights,
  x: Float32Array,
  m: number,
  bias: Float32Array,
  timing: { reps: number; spinUp: number },
  tile: string | undefined,
  ops: number,
  denseOps: number,
) {
  const known = weights.kind === 'dense' ? [...INT8_VARIANTS, INT8_MATRIX] : HP_INT8_VARIANTS;
  const named = tile === undefined || tile === 'all' ? [] : tile.split(',');
  // Matrix tiles also with an ablation ('matrix-128sb~global': measurement only, unverified) or
  // the register probe ('matrix-x128f1p~r32', exact).
  const unknown = named.filter((t) => !known.includes(t) && !splitAblation(t, weights.kind === 'hp'));
  if (unknown.length)
    throw new CliError(`--tile/--variant with --quant int8: ${known.join(', ')} or all, got '${unknown.join(',')}'`);
  // 'all': every kernel once ('matrix' only names one of them).
  const every = weights.kind === 'dense' ? INT8_VARIANTS : HP_INT8_VARIANTS.filter((v) => v !== INT8_MATRIX);
  const variants = tile === 'all' ? [...every] : tile ? named : undefined;
  const r = await benchInt8(gpu, weights, x, m, bias, { reps: timing.reps, variants, holdClockMs: timing.spinUp });
  const ok = r.results.filter((v) => v.verified);
  const best = (ok.length ? ok : r.results).reduce((a, b) => (b.ms_median < a.ms_median ? b : a));
  const tops = (ms: number) => (ms > 0 ? Number((ops / ms / 1e9).toFixed(2)) : 0);
  return {
    ms_median: best.ms_median,
    variant: best.variant,
    tops: tops(best.ms_median),
    dense_equiv_tops: best.ms_median > 0 ? Number((denseOps / best.ms_median / 1e9).toFixed(2)) : 0,
    verified: r.results.length > 0 && r.results.every((v) => v.verified),
    bit_exact_rows: r.checked_rows,
    quantize_ms: r.quantize_ms,
    quantize_forms_ms: r.quantize_forms_ms,
    tensor_cores: r.tensor_cores,
    timing: best.timing,
    per_variant: r.results.map((v) => ({ ...v, tops: tops(v.ms_median) })),
  };
}

async function benchAttentionCmd(argv: string[]) {
  const { values: f } = parseFlags(argv, {
    batch: { type: 'string' },
    seq: { type: 'string' },
    hidden: { type: 'string' },
    heads: { type: 'string' },
    block: { type: 'string' },
    variant: { type: 'string' },
    reps: { type: 'string' },
    ablate: { type: 'string' },
    quant: { type: 'string' },
    reads: { type: 'string' },
    residency: { type: 'boolean' },
  });
  if (f.quant !== undefined && f.quant !== 'int8') throw new CliError(`--quant must be int8, got '${f.quant}'`);
  const int8 = f.quant === 'int8';
  const ablations = (f.ablate ?? 'none').split(',');
  const badAblation = ablations.find((a) => a !== 'none' && !(a in ABLATIONS));
  if (badAblation)
    throw new CliError(`--ablate: '${badAblation}' is not one of none, ${Object.keys(ABLATIONS).join(', ')}`);
  const hidden = numberFlag(f.hidden, 'hidden', 312, 1, 65536, true);
  const heads = numberFlag(f.heads, 'heads', 12, 1, hidden, true);
  const reps = numberFlag(f.reps, 'reps', 20, 1, 1000, true);
  const all = (int8 ? INT8_ATTENTION_VARIANTS : ATTENTION_VARIANTS) as readonly string[];
  const gpu = await nodeGpu();
  // 'all' with --quant int8: the subgroup-matrix form only where the device has it.
  const every = all.filter(
    (v) => v !== 'int8-matrix' || int8MatrixAttentionOn(gpu.device, gpu.caps, hidden, heads, 16),
  );
  // With no --variant: every one on a GPU; on a software adapter the one 'auto' runs (SwiftShader keeps
  // each compiled pipeline's 0.1-0.7 GB until the process ends: 'all' outgrew 12 GiB).
  const asked = f.variant ?? (gpu.caps.isFallbackAdapter && !int8 ? 'auto' : 'all');
  const allAsked = asked === 'all';
  const variants = allAsked ? every : asked.split(',');
  const bad = variants.find((v) => !all.includes(v) && !(int8 && parseInt8MatrixVariant(v)));
  if (bad) throw new CliError(`--variant: '${bad}' is not one of ${all.join(', ')}`);
  // --reads: patterns split by '/', each a count a head ('all': every dim of every head).
  const readSets = (f.reads ?? 'all').split('/').map((r) => {
    if (r === 'all') return undefined;
    const counts = numberListFlag(r, 'reads', [], 0, hidden / heads, true);
    if (counts.length !== heads || int8)
      throw new CliError(`--reads: ${heads} counts a pattern (f32 only), got '${r}'`);
    return counts;
  });
  const rows = [];
  // With 'all', the variants this device cannot run at a shape are left out and listed; one named
  // on its own that does not fit ends the command with the reason.
  const skipped: { variant: string; batch: number; seq: number; why: string }[] = [];
  for (const reads of readSets)
    for (const block of numberListFlag(f.block, 'block', [hidden], 1, 1 << 20, true))
      for (const batch of numberListFlag(f.batch, 'batch', [1, 32], 1, 1 << 20, true))
        for (const seq of numberListFlag(f.seq, 'seq', [64, 128], 1, 1 << 20, true)) {
          if (block < hidden) throw new CliError(`--block ${block} is less than --hidden ${hidden}`);
          const got = await benchAttention(gpu.device, { batch, seq, hidden, heads, block, reads }, variants, {
            reps,
            warmup: 3,
            ablations,
            residency: Boolean(f.residency),
            ...(int8 ? { quant: 'int8' as const, caps: gpu.caps, checkSequences: batch } : {}),
            ...(allAsked
              ? {
                  onUnfit: (variant: string, why: string) => {
                    skipped.push({ variant, batch, seq, why });
                    process.stderr.write(`skipped ${variant} at B=${batch} L=${seq}: ${why}\n`);
                  },
                }
              : {}),
          });
          for (const r of got) process.stderr.write(`${JSON.stringify(r)}\n`);
          rows.push(...got);
        }
  const failed = rows.filter((r) => r.ablate === 'none' && (int8 ? r.mismatches !== 0 : !(r.max_abs_err < 1e-4)));
  if (failed.length) throw new CliError(`attention variants off the reference: ${JSON.stringify(failed)}`, 1);
  if (!rows.length && skipped.length) throw new CliError(`no attention variant fits this device: ${skipped[0].why}`);
  const note = f.variant ? {} : { variants: `${asked} (no --variant${allAsked ? '' : ', software adapter'})` };
  return { adapter: gpu.caps.label, ...note, rows, ...(skipped.length ? { skipped } : {}) };
}

const PEAK_FAMILIES = ['mma', 'dot4', 'fma'];

async function benchPeakCmd(argv: string[]) {
  const { values: f } = parseFlags(argv, {
    family: { type: 'string' },
    only: { type: 'string' },
    workgroups: { type: 'string' },
    iters: { type: 'string' },
    reps: { type: 'string' },
  });
  const families = (f.family ?? PEAK_FAMILIES.join(',')).split(',');
  const bad = families.find((x) => !PEAK_FAMILIES.includes(x));
  if (bad) throw new CliError(`--family: '${bad}' is not one of ${PEAK_FAMILIES.join(', ')}`);
  const workgroups = numberFlag(f.workgroups, 'workgroups', 4096, 1, 65535, true);
  const iters = f.iters === undefined ? undefined : numberFlag(f.iters, 'iters', 256, 1, 1 << 20, true);
  const reps = numberFlag(f.reps, 'reps', 10, 1, 1000, true);
  const gpu = await nodeGpu();
  const rows = await benchPeak(gpu, {
    families,
    only: f.only?.split(','),
    workgroups,
    mmaIters: iters,
    aluIters: iters,
    reps,
  });
  if (!rows.length)
    throw new CliError(`bench peak: no kernel of ${families.join(', ')} here${f.only ? ' by those names' : ''}`);
  const best = (family: string) =>
    rows
      .filter((r) => r.verified && r.kernel.startsWith(family))
      .reduce<(typeof rows)[number] | undefined>((a, b) => (a === undefined || b.tops > a.tops ? b : a), undefined);
  const summary = Object.fromEntries(
    ['mma', 'dot4', 'fma'].flatMap((fam) => {
      const b = best(fam);
      return b ? [[fam, { kernel: b.kernel, tops: b.tops }]] : [];
    }),
  );
  const failed = rows.filter((r) => !r.verified);
  if (failed.length) process.stderr.write(`bench peak: not verified: ${JSON.stringify(failed)}\n`);
  return {
    adapter: gpu.caps.label,
    robustness: process.env.HP_LAB_DISABLE_ROBUSTNESS === '1' ? 'off' : 'on',
    subgroup_matrix_configs: gpu.caps.subgroupMatrixConfigs ?? null,
    best: summary,
    rows,
  };
}

export async function run(argv: string[]): Promise<unknown> {
  const [sub, ...rest] = argv;
  if (sub === 'matmul') return benchMatmul(rest);
  if (sub === 'hp') return benchHP(rest);
  if (sub === 'attention') return benchAttentionCmd(rest);
  if (sub === 'peak') return benchPeakCmd(rest);
  if (sub === 'residency') return benchResidencyCmd(rest);
  if (sub === 'verify') {
    const { values } = parseFlags(rest, { quick: { type: 'boolean' } });
    const gpu = await nodeGpu();
    const report = await runVerifySuite(gpu, { quick: Boolean(values.quick) });
    if (report.failed > 0)
      throw new CliError(
        `${report.failed} of ${report.cases} kernel cases failed:\n` +
          `${JSON.stringify(report.failures.slice(0, 10), null, 1)}`,
        1,
      );
    return { adapter: gpu.caps.label, ...report };
  }
  throw new CliError(`usage:\n${usage}`);
}
