// hp-lab select: the framework's device selection from the command line. Takes a measured
// accuracy sweep (the JSON that `hp-lab sweep` prints, or a stored sweep export) and prints the
// chosen device, the reasons, the per-device table and the Pareto front as JSON. Without a
// sweep, accuracy is unknown: the selection is latency-only (AC is refused) over the dense model
// and any --density HP configurations.
import { readFile } from 'node:fs/promises';
import type { BertConfig } from '../../core/model/bert-types';
import { FPGA_ARCHS, BIT_WIDTHS, type BitWidth, type FpgaArch } from '../../core/hardware/fpga-design';
import type { MeasuredDevice } from '../../core/hardware/roofline';
import { GPU_PRECISIONS, type GpuPrecision } from '../../core/hardware/types';
import { BERT_BASE, DENSE, TINYBERT_4L_312D, type SparsityConfig } from '../../core/hardware/workload';
import { paperView } from '../../core/explore/paper-view';
import { OBJECTIVES, select, SelectionError, type AccuracyConstraint, type Objective } from '../../core/explore/select';
import { parseSweep, SweepFormatError, type DenseReference, type Sweep } from '../../core/explore/sweep';
import { numberFlag, parseFlags, tileFlag } from '../args';
import { inputFile } from '../paths';
import { checkBertConfig } from '../../core/model/bert-config-check';
import { checkMeasuredDevices } from '../../core/hardware/measured-check';
import { CliError } from '../cli-error';

export const usage = `hp-lab select --lc MS [options]
  --lc MS              latency constraint: ms per batch of B sequences of L tokens (required)
  --ac SPEC            accuracy constraint: 0.84 or min:0.84 (at least 84%), drop:0.01 (at most
                       1 point below dense); needs --sweep
 --ac-margin K        meet AC with K standard errors to spare (accuracy - K x SE >= AC; default 0)
  --dense-accuracy A   the dense model's accuracy to use (e.g. 0.76 or 0.76:500 with its sentence
                       count); default: the sweep's denseAccuracy, else its 0% points
  --objective O        ${OBJECTIVES.join(' | ')} (default price): what the cheapest feasible device minimises
  --sweep FILE         accuracy sweep JSON (output of hp-lab sweep, a stored sweep export, or
                       {points: [{pattern, sparsity, accuracy, split?, tile?}]})
  --batch B --seq L    workload (default 1 x 128)
  --model NAME|FILE    tinybert (default), bert-base, or a JSON BertConfig
  --density LIST       without --sweep: HP configurations to try (kept fraction, e.g. 0.5,0.2)
  --tile TRxTC         tile of those HP configurations (default 16x16)
  --bits LIST          FPGA bit widths (default int16,fp16; int8 designs carry the largest measured W8A8
                       accuracy loss, hp-lab eval --quant int8, core/quant/measured-accuracy.ts)
  --archs LIST         FPGA designs offered per board: ${FPGA_ARCHS.join(',')} (default hp)
 --gpu-precision P    ${GPU_PRECISIONS.join(' | ')} (default fp32): how catalog GPUs run the products (tensor
                       cores for tf32/fp16/int8; int8 is not accuracy-checked)
  --sparse24           2:4 N:M points run on sparse tensor cores (Ampere and later)
  --measured FILE      JSON array of MeasuredDevice (the visitor's CPU/GPU measurements)
  --paper              add the paper view (speedups vs CPU, GPU, tile-only)`;

function parseAc(spec: string | undefined): AccuracyConstraint {
  if (spec === undefined) return { kind: 'none' };
  const m = /^(?:(min|drop):)?(\d*\.?\d+)$/.exec(spec.trim());
  if (!m) throw new CliError(`--ac must be a fraction like 0.84, min:0.84 or drop:0.01, got '${spec}'`);
  const value = Number(m[2]);
  if (value > 1) throw new CliError(`--ac takes fractions in [0, 1] (0.84 = 84%), got ${value}`);
  return { kind: (m[1] as 'min' | 'drop' | undefined) ?? 'min', value };
}

function parseDense(spec: string | undefined): DenseReference | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d*\.?\d+)(?::(\d+))?$/.exec(spec.trim());
  if (!m || Number(m[1]) > 1)
    throw new CliError(
      `--dense-accuracy must be a fraction, optionally with its sentence count (0.76 or 0.76:500), got '${spec}'`,
    );
  return { accuracy: Number(m[1]), ...(m[2] ? { n: Number(m[2]) } : {}), source: '--dense-accuracy' };
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(inputFile('', path), 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} '${path}': ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} '${path}' is not JSON: ${(err as Error).message}`);
  }
}

async function modelConfig(name: string | undefined): Promise<{ label: string; config: BertConfig }> {
  if (!name || name === 'tinybert') return { label: 'TinyBERT-4L-312D', config: TINYBERT_4L_312D };
  if (name === 'bert-base') return { label: 'BERT-base', config: BERT_BASE };
  const json = await readJson(name, 'model config');
  try {
    return { label: name, config: checkBertConfig(json, TINYBERT_4L_312D) };
  } catch (err) {
    throw new CliError(`--model ${name}: ${(err as Error).message}`);
  }
}

function listOf<T extends string>(raw: string | undefined, allowed: readonly T[], flag: string, fallback: T[]): T[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim());
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || items.length === 0)
    throw new CliError(`--${flag}: unknown ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    lc: { type: 'string' },
    ac: { type: 'string' },
    objective: { type: 'string' },
    sweep: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    model: { type: 'string' },
    density: { type: 'string' },
    tile: { type: 'string' },
    bits: { type: 'string' },
    archs: { type: 'string' },
    measured: { type: 'string' },
    paper: { type: 'boolean' },
    'ac-margin': { type: 'string' },
    'dense-accuracy': { type: 'string' },
    'gpu-precision': { type: 'string' },
    sparse24: { type: 'boolean' },
  });
  if (f.lc === undefined) throw new CliError('--lc is required (ms per batch)');
  const lcMs = numberFlag(f.lc, 'lc', 0, 1e-6, 1e7);
  const ac = parseAc(f.ac);
  const acMarginSe = numberFlag(f['ac-margin'], 'ac-margin', 0, 0, 10);
  const denseAccuracy = parseDense(f['dense-accuracy']);
  const objective = (f.objective ?? 'price') as Objective;
  if (!OBJECTIVES.includes(objective)) throw new CliError(`--objective must be one of ${OBJECTIVES.join(', ')}`);
  const batch = numberFlag(f.batch, 'batch', 1, 1, 4096, true);
  const seq = numberFlag(f.seq, 'seq', 128, 1, 4096, true);
  const { label, config } = await modelConfig(f.model);
  const bitWidths = listOf<BitWidth>(f.bits, BIT_WIDTHS, 'bits', ['int16', 'fp16']);
  const fpgaArchs = listOf<FpgaArch>(f.archs, FPGA_ARCHS, 'archs', ['hp']);
  const [precision] = listOf<GpuPrecision>(f['gpu-precision'], GPU_PRECISIONS, 'gpu-precision', ['fp32']);
  const gpuMode = { precision, sparse24: Boolean(f.sparse24) };

  let sweep: Sweep | null = null;
  if (f.sweep) {
    try {
      sweep = parseSweep(await readJson(f.sweep, 'sweep'));
    } catch (err) {
      if (err instanceof SweepFormatError) throw new CliError(`--sweep ${f.sweep}: ${err.message}`);
      throw err;
    }
  } else if (ac.kind !== 'none') {
    throw new CliError('--ac needs --sweep: accuracy has to be measured (run hp-lab sweep --model … > sweep.json)');
  }
  let configs: SparsityConfig[] | undefined;
  if (f.density !== undefined) {
    if (sweep) throw new CliError('--density is for runs without --sweep (the sweep lists its own configurations)');
    const [tr, tc] = tileFlag(f.tile, '16x16');
    configs = [
      DENSE,
      ...f.density.split(',').map((s) => {
        const d = numberFlag(s.trim(), 'density', 1, 0.001, 1);
        return { pattern: 'hp' as const, density: d, tr, tc, tileDensity: Math.sqrt(d), vectorDensity: Math.sqrt(d) };
      }),
    ];
  }
  let measured: MeasuredDevice[] | undefined;
  if (f.measured) {
    try {
      measured = checkMeasuredDevices(await readJson(f.measured, 'measurements'));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`--measured ${f.measured}: ${(err as Error).message}`);
    }
  }

  let result;
  try {
    result = select({
      config,
      batch,
      seq,
      lcMs,
      ac,
      objective,
      sweep,
      configs,
      bitWidths,
      fpgaArchs,
      measured,
      acMarginSe,
      denseAccuracy,
      gpuMode,
    });
  } catch (err) {
    if (err instanceof SelectionError) throw new CliError(err.message);
    throw err;
  }
  const row = (c: (typeof result.candidates)[number] | null) =>
    c && {
      device: c.deviceId,
      config: c.config,
      accuracy: c.accuracy,
      accuracySe: c.accuracySe === null ? null : +c.accuracySe.toFixed(4),
      latencyMs: +c.latencyMs.toPrecision(4),
      powerW: +c.powerW.toPrecision(3),
      feasible: c.feasible,
      provenance: c.eval.provenance,
      note: c.eval.note,
    };
  return {
    model: label,
    batch,
    seq,
    lcMs,
    ac,
    objective,
    gpuMode,
    sweep: f.sweep ?? null,
    accuracyKnown: result.accuracyKnown,
    accuracyThreshold: result.accuracyThreshold,
    denseAccuracy: result.denseAccuracy,
    denseReference: result.denseReference,
    acMarginSe,
    choice: row(result.choice),
    warnings: result.warnings,
    reasons: result.reasons,
    binding: result.binding,
    table: result.verdicts.map((v) => ({
      device: v.device.id,
      name: v.device.name,
      kind: v.device.kind,
      priceUsd: v.device.priceUsd ?? null,
      feasible: v.feasible,
      chosen: v.chosen,
      reason: v.reason,
      best: row(v.best),
    })),
    pareto: result.pareto.map(row),
    ...(f.paper
      ? {
          paperView: paperView({ measured, bitWidths, sweep }).map((p) => ({
            shape: p.shape.label,
            board: p.board,
            hpMs: p.hpMs,
            vsCpu: p.cpu,
            vsGpu: p.gpu,
            vsTileOnly: p.tile,
            vsTileOnlyEqualAccuracy: p.tileEqualAccuracy,
            vsVectorNoBanking: p.vector,
            label: 'modelled',
          })),
        }
      : {}),
  };
}
