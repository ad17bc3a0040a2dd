// The kernels' correctness battery, shared by the GPU tests (SwiftShader) and `hp-lab bench
// verify` (any adapter, e.g. the GPU host): every tile config, every Tr/Tc in {8,16,32},
// sparsity 0..99%, ragged shapes, TinyBERT shapes, all-pruned and all-kept matrices, GELU; and
// the few-token subgroup variants when the device has subgroups. Tiled cases use more tokens
// than SUBGROUP_MAX_TOKENS (or force a tile) so both kinds of kernel are exercised.
import type { AcquiredGpu } from '../gpu/adapter';
import { readBuffer } from '../gpu/kernel';
import { createDenseLinear, createHPLinear, type GpuLinear, type WeightPrecision } from '../gpu/kernels';
import { HP_TILES, SUBGROUP_TILE, denseTilesFor, hpGeometry } from '../gpu/kernels/variant-rule';
import {
  compareRows,
  denseReference,
  hpReference,
  sampleRows,
  storedHP,
  storedWeights,
  type ReferenceResult,
} from '../gpu/kernels/cpu-reference';
import { planHP, randomArray, randomHP, rng } from '../gpu/kernels/random-hp';
import { tileGrid } from '../core/formats/hp';
import { deviceHasSubgroups } from '../gpu/kernels/subgroup-variant';
import { addSlices, linearBuffers } from './kernel-bench';
import { columnsView, type ColumnsViewMode } from './hp-columns-view';
import { COLUMN_TILES, columnGeometry } from '../gpu/kernels/hp-columns';

export interface CaseResult {
  name: string;
  ok: boolean;
  maxError: number;
  first?: unknown;
}

/** Runs `linear` once on `x` and compares sampled rows with `reference`. */
export async function checkLinear(
  device: GPUDevice,
  linear: GpuLinear,
  x: Float32Array,
  tokens: number,
  reference: (rows: number[]) => ReferenceResult,
  viaPass = false,
): Promise<Omit<CaseResult, 'name'>> {
  const parts = linear.partsFor?.(tokens) ?? 1;
  const bufs = linearBuffers(device, x, tokens, linear.out, parts);
  const yBytes = Math.max(16, parts * tokens * linear.out * 4);
  device.queue.writeBuffer(bufs.y, 0, new Float32Array(yBytes / 4).fill(Number.NaN)); // unwritten outputs fail
  device.pushErrorScope('validation');
  const enc = device.createCommandEncoder();
  if (viaPass) {
    const pass = enc.beginComputePass();
    linear.encode(pass, bufs.x, bufs.y, tokens);
    pass.end();
  } else linear.encode(enc, bufs.x, bufs.y, tokens);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  const y = addSlices(
    await readBuffer(device, bufs.y, yBytes).finally(() => bufs.destroy()),
    parts,
    tokens * linear.out,
  );
  if (err) return { ok: false, maxError: Infinity, first: err.message };
  const rows = sampleRows(tokens, 48);
  const cmp = compareRows(y, reference(rows), rows, linear.out);
  return { ok: cmp.ok, maxError: cmp.maxError, first: cmp.first };
}

export async function denseCase(
  gpu: AcquiredGpu,
  tokens: number,
  nIn: number,
  nOut: number,
  o: {
    gelu?: boolean;
    bias?: boolean;
    tile?: string;
    seed?: number;
    viaPass?: boolean;
    weights?: WeightPrecision;
    splitK?: number | 'auto';
  } = {},
): Promise<CaseResult> {
  const rand = rng(o.seed ?? tokens * 7919 + nIn * 31 + nOut);
  const x = randomArray(tokens * nIn, rand);
  const w = randomArray(nOut * nIn, rand, 0.5);
  const bias = o.bias === false ? undefined : randomArray(nOut, rand);
  const lin = createDenseLinear(gpu.device, gpu.caps, {
    tokens,
    in: nIn,
    out: nOut,
    weight: w,
    bias,
    gelu: o.gelu,
    tile: o.tile,
    weights: o.weights,
    splitK: o.splitK,
  });
  const name =
    `dense ${tokens}x${nIn}->${nOut} tile=${lin.tileFor(tokens)}` +
    `${o.gelu ? ' gelu' : ''}${o.weights === 'f16' ? ' f16 weights' : ''}`;
  const wRef = storedWeights(w, o.weights);
  try {
    return {
      name,
      ...(await checkLinear(
        gpu.device,
        lin,
        x,
        tokens,
        (rows) => denseReference(x, wRef, bias, nIn, nOut, rows, o.gelu),
        o.viaPass,
      )),
    };
  } finally {
    lin.destroy();
  }
}

export async function hpCase(
  gpu: AcquiredGpu,
  tokens: number,
  nIn: number,
  nOut: number,
  tr: number,
  tc: number,
  mk: { sparsity: number; split?: number } | { m: number; k: number },
  o: {
    gelu?: boolean;
    variant?: string;
    seed?: number;
    weights?: WeightPrecision;
    /** Run the columns path (hp-columns.ts) through columnsView in this mode; `variant` then
     *  names a column tile. */
    columns?: ColumnsViewMode;
  } = {},
): Promise<CaseResult> {
  const rand = rng(o.seed ?? tokens * 131 + nIn * 17 + nOut * 3 + tr + tc);
  const { m, k } = 'm' in mk ? mk : planHP(nOut, nIn, tr, tc, mk.sparsity, mk.split ?? 0.5);
  const hp = randomHP(nOut, nIn, tr, tc, m, k, rand);
  const x = randomArray(tokens * nIn, rand);
  const bias = randomArray(nOut, rand);
  const hpLin = createHPLinear(gpu.device, gpu.caps, {
    tokens,
    hp,
    bias,
    gelu: o.gelu,
    ...(o.columns ? { columnTile: o.variant } : { tile: o.variant }),
    weights: o.weights,
  });
  const lin = o.columns ? columnsView(gpu.device, hpLin, o.columns) : hpLin;
  const name =
    `hp ${tokens}x${nIn}->${nOut} ${tr}x${tc} m=${m}/${tileGrid(hp).tilesPerRow} k=${k} ` +
    `variant=${lin.tileFor(tokens)}` +
    `${o.gelu ? ' gelu' : ''}${o.weights === 'f16' ? ' f16 weights' : ''}`;
  const hpRef = storedHP(hp, o.weights);
  try {
    return {
      name,
      ...(await checkLinear(gpu.device, lin, x, tokens, (rows) => hpReference(x, hpRef, bias, rows, o.gelu))),
    };
  } finally {
    lin.destroy();
  }
}

export interface VerifyReport {
  cases: number;
  failed: number;
  failures: CaseResult[];
  names: string[];
}

/** The full battery (quick: a subset for slow software adapters). */
export async function runVerifySuite(gpu: AcquiredGpu, { quick = false } = {}): Promise<VerifyReport> {
  const results: CaseResult[] = [];
  const add = async (p: Promise<CaseResult>) => results.push(await p);
  for (const t of denseTilesFor(gpu.caps)) {
    await add(denseCase(gpu, 37, 45, 70, { tile: t.name }));
    await add(denseCase(gpu, 33, 52, 67, { tile: t.name, gelu: true }));
  }
  // Split-K: partial sums in K-slices (vec4 loads and scalar, a K not a multiple of the K-step).
  for (const t of denseTilesFor(gpu.caps)) {
    await add(denseCase(gpu, 70, 200, 36, { tile: t.name, splitK: 3 }));
    if (!quick) await add(denseCase(gpu, 37, 203, 70, { tile: t.name, splitK: 2 }));
  }
  await add(denseCase(gpu, 136, 1200, 312, { splitK: 'auto' }));
  await add(denseCase(gpu, 1, 1, 3, { viaPass: true, bias: false }));
  await add(denseCase(gpu, 136, 312, 1200, { gelu: true }));
  await add(denseCase(gpu, 136, 1200, 312));
  if (!quick) {
    await add(denseCase(gpu, 64, 312, 312));
    await add(denseCase(gpu, 300, 260, 250));
  }
  for (const tr of [8, 16, 32]) {
    for (const tc of [8, 16, 32]) {
      for (const sparsity of quick ? [0.5] : [0, 0.5, 0.9, 0.99]) {
        await add(hpCase(gpu, 133, 77, 45, tr, tc, { sparsity }, { gelu: sparsity === 0.5 }));
      }
    }
    for (const v of HP_TILES) {
      if (hpGeometry(tr, v) === null) continue;
      await add(hpCase(gpu, 37, 100, 70, tr, 16, { sparsity: 0.7 }, { variant: v.name }));
    }
  }
  // Extremes: all pruned (m = 0, k = 0), one kept tile, everything kept.
  await add(hpCase(gpu, 129, 40, 24, 8, 8, { m: 0, k: 0 }));
  await add(hpCase(gpu, 129, 40, 24, 8, 8, { m: 3, k: 0 }));
  await add(hpCase(gpu, 129, 40, 24, 8, 8, { m: 1, k: 1 }));
  await add(hpCase(gpu, 129, 40, 24, 16, 8, { m: 5, k: 8 }));
  // TinyBERT shapes.
  for (const [nIn, nOut, gelu] of [
    [312, 312, false],
    [312, 1200, true],
    [1200, 312, false],
  ] as const) {
    await add(hpCase(gpu, quick ? 136 : 160, nIn, nOut, 32, 32, { sparsity: 0.9 }, { gelu }));
  }
  // f16 weights (the HP format's f16 value type), every kernel.
  for (const weights of ['f16'] as const) {
    for (const t of denseTilesFor(gpu.caps))
      await add(denseCase(gpu, 70, 52, 67, { tile: t.name, gelu: true, weights }));
    await add(denseCase(gpu, 136, 312, 1200, { weights }));
    for (const tr of [8, 16, 32]) {
      for (const v of HP_TILES)
        if (hpGeometry(tr, v) !== null)
          await add(hpCase(gpu, 37, 100, 70, tr, 16, { sparsity: 0.7 }, { variant: v.name, weights }));
    }
    await add(hpCase(gpu, 136, 1200, 312, 32, 32, { sparsity: 0.9 }, { weights }));
    if (deviceHasSubgroups(gpu.device)) {
      await add(denseCase(gpu, 9, 312, 1200, { tile: SUBGROUP_TILE, gelu: true, weights }));
      for (const tr of [8, 16, 32])
        await add(hpCase(gpu, 7, 77, 45, tr, 16, { sparsity: 0.5 }, { variant: SUBGROUP_TILE, weights }));
    }
  }
  if (deviceHasSubgroups(gpu.device)) {
    const variant = SUBGROUP_TILE;
    for (const tokens of [1, 3, 8, 32])
      await add(denseCase(gpu, tokens, 52, 67, { tile: variant, gelu: tokens === 3 }));
    for (const [nIn, nOut] of [
      [312, 1200],
      [1200, 312],
    ])
      await add(denseCase(gpu, 16, nIn, nOut, { tile: variant }));
    for (const tr of [8, 16, 32]) {
      for (const tc of [8, 16, 32]) {
        for (const sparsity of quick ? [0.5] : [0, 0.5, 0.9, 0.99])
          await add(hpCase(gpu, 7, 77, 45, tr, tc, { sparsity }, { variant, gelu: sparsity === 0.5 }));
      }
    }
    await add(hpCase(gpu, 3, 40, 24, 8, 8, { m: 0, k: 0 }, { variant }));
    await add(hpCase(gpu, 3, 40, 24, 16, 8, { m: 5, k: 8 }, { variant }));
    for (const [nIn, nOut, gelu] of [
      [312, 1200, true],
      [1200, 312, false],
    ] as const)
      await add(hpCase(gpu, 16, nIn, nOut, 32, 32, { sparsity: 0.9 }, { variant, gelu }));
  }
  // The columns path (X as columns, hp-columns.ts): every column tile at Tr 32 and 16, Y as rows
  // and as columns, ragged token counts, f16 values, the transpose in the same pass.
  for (const tr of [32, 16])
    for (const t of COLUMN_TILES) {
      if (columnGeometry(tr, 33, t) === null || (quick && tr === 16)) continue;
      await add(
        hpCase(gpu, 137, 100, 72, tr, 16, { sparsity: 0.7 }, { columns: 'kernel', variant: t.name, gelu: true }),
      );
      await add(hpCase(gpu, 136, 90, 64, tr, 8, { sparsity: 0.5 }, { columns: 'out-columns', variant: t.name }));
    }
  await add(hpCase(gpu, 130, 312, 1200, 32, 32, { sparsity: 0.9 }, { columns: 'transpose', gelu: true }));
  await add(hpCase(gpu, 132, 1200, 312, 32, 32, { sparsity: 0.9 }, { columns: 'out-columns', weights: 'f16' }));
  await add(hpCase(gpu, 129, 40, 24, 8, 8, { m: 0, k: 0 }, { columns: 'kernel' }));
  const failures = results.filter((r) => !r.ok);
  return {
    cases: results.length,
    failed: failures.length,
    failures,
    names: results.map((r) => `${r.ok ? 'ok' : 'FAIL'} ${r.name}`),
  };
}
