// hp-lab prune: one-shot pruning of a BERT ONNX model's 24 encoder matrices; prints per-matrix
// sparsity and bytes per format as JSON, optionally writes the pruned ONNX (zeros in place) and
// the .hpw file (HP-structured patterns only).
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeHPW } from '../../core/formats/hpw';
import type { ValueType } from '../../core/formats/hp';
import { parseBertOnnx, type OnnxBert } from '../../core/model/bert-from-onnx';
import { prunableLinears, type BertModel, type Linear } from '../../core/model/bert-types';
import { writeBertOnnx } from '../../core/model/onnx-writer';
import { applyMask, matrixInputs, pruneMatrices, pruneReport, PATTERNS, SCORE_KINDS, type ModelPruneResult, type Pattern, type PruneConfig, type ScoreKind } from '../../core/pruning';
import { numberFlag, parseFlags } from '../args';
import { CliError } from '../cli-error';

export const usage = `hp-lab prune --model M.onnx --pattern hp --sparsity 0.9 [options]
  --model PATH         BERT classifier ONNX (default: the one .onnx in public/models/)
  --pattern P          ${PATTERNS.join(' | ')} (default hp)
  --sparsity S         target sparsity in [0, 1] (default 0.8)
  --attn-sparsity S    override for Q/K/V/attention-output matrices
  --ffn-sparsity S     override for FFN matrices
  --tile TRxTC         tile size, e.g. 32x32 (default 32x32; also the BCSR block)
  --split X            hp: share of sparsity at the tile level, in [0, 1] (default 0.5)
  --tile-keep A --vector-keep B   hp: set both keep ratios directly instead
  --nm N:M             nm: fixed N:M, e.g. 2:4 (default: M = 20, N = round(M (1 - S)))
  --score K            ${SCORE_KINDS.join(' | ')} (default magnitude)
  --norms PATH         activation scores: JSON {"<matrix name>": [||x_j||, ...]} from a calibration run on TRAIN sentences
  --value-type T       f32 | f16 for the printed sizes and the .hpw (default f32)
  --out PATH           write the pruned ONNX (zeros in place)
  --hpw PATH           write the HP matrices as .hpw (patterns hp, tile, vector)
  --per-matrix         include every matrix in the output (default: totals + per-matrix sparsity)`;

export const pruneFlagSpec = {
  model: { type: 'string' },
  pattern: { type: 'string' },
  sparsity: { type: 'string' },
  'attn-sparsity': { type: 'string' },
  'ffn-sparsity': { type: 'string' },
  tile: { type: 'string' },
  split: { type: 'string' },
  'tile-keep': { type: 'string' },
  'vector-keep': { type: 'string' },
  nm: { type: 'string' },
  score: { type: 'string' },
  norms: { type: 'string' },
  'value-type': { type: 'string' },
} as const;

type FlagValues = Partial<Record<keyof typeof pruneFlagSpec, string>>;

/** Resolves --model, or the only .onnx under public/models. */
export function modelPath(flag: string | undefined): string {
  if (flag) {
    if (!existsSync(flag)) throw new CliError(`--model: no file at ${flag}`);
    return flag;
  }
  const dir = 'public/models';
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')) : [];
  if (found.length !== 1) throw new CliError(`--model is required (${found.length ? `public/models has ${found.join(', ')}` : 'no .onnx in public/models'})`);
  return path.join(dir, found[0]);
}

export async function loadModel(file: string): Promise<OnnxBert> {
  try {
    return parseBertOnnx(new Uint8Array(await readFile(file)));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
}

export function tileFlag(v: string | undefined): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v ?? '32x32');
  if (!m) throw new CliError(`--tile must look like 32x32, got '${v}'`);
  const [tr, tc] = [Number(m[1]), Number(m[2])];
  if (tr < 1 || tc < 1 || tc > 256) throw new CliError(`--tile: rows >= 1 and 1 <= columns <= 256 (u8 offsets), got ${v}`);
  return [tr, tc];
}

/** The PruneConfig the flags describe (sparsity may be overridden per call, e.g. by sweep). */
export function configFromFlags(f: FlagValues): PruneConfig {
  const pattern = (f.pattern ?? 'hp') as Pattern;
  if (!PATTERNS.includes(pattern)) throw new CliError(`--pattern must be one of ${PATTERNS.join(', ')}, got '${f.pattern}'`);
  const score = (f.score ?? 'magnitude') as ScoreKind;
  if (!SCORE_KINDS.includes(score)) throw new CliError(`--score must be one of ${SCORE_KINDS.join(', ')}, got '${f.score}'`);
  const [tr, tc] = tileFlag(f.tile);
  const config: PruneConfig = { pattern, score, tr, tc, sparsity: numberFlag(f.sparsity, 'sparsity', 0.8, 0, 1), split: numberFlag(f.split, 'split', 0.5, 0, 1) };
  const attn = f['attn-sparsity'], ffn = f['ffn-sparsity'];
  if (attn !== undefined || ffn !== undefined) {
    config.groupSparsity = {};
    if (attn !== undefined) config.groupSparsity.attention = numberFlag(attn, 'attn-sparsity', 0, 0, 1);
    if (ffn !== undefined) config.groupSparsity.ffn = numberFlag(ffn, 'ffn-sparsity', 0, 0, 1);
  }
  if ((f['tile-keep'] === undefined) !== (f['vector-keep'] === undefined)) throw new CliError('--tile-keep and --vector-keep go together');
  if (f['tile-keep'] !== undefined) config.keep = { tile: numberFlag(f['tile-keep'], 'tile-keep', 1, 0, 1), vector: numberFlag(f['vector-keep'], 'vector-keep', 1, 0, 1) };
  if (f.nm !== undefined) {
    const m = /^(\d+):(\d+)$/.exec(f.nm);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) < 1) throw new CliError(`--nm must be N:M with 0 <= N <= M, e.g. 2:4, got '${f.nm}'`);
    config.nmN = Number(m[1]);
    config.nmM = Number(m[2]);
  }
  return config;
}

export function valueTypeFlag(v: string | undefined): ValueType {
  if (v === undefined) return 'f32';
  if (v !== 'f32' && v !== 'f16') throw new CliError(`--value-type must be f32 or f16, got '${v}'`);
  return v;
}

/** --norms: {"<matrix name>": number[]} -> one Float32Array per prunable matrix, in order. */
/** Without --norms, activation scores are calibrated on the first train sentences (hp-lab calibrate's defaults). */
export async function loadNorms(file: string | undefined, linears: Linear[], score: ScoreKind, model?: BertModel): Promise<Float32Array[] | undefined> {
  if (score !== 'activation') return undefined;
  if (!file) {
    if (!model) throw new CliError('--score activation needs --norms (input-feature norms from hp-lab calibrate on train sentences)');
    const { calibrate } = await import('./calibrate');
    return calibrate(model);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError(`--norms ${file}: ${(err as Error).message}`);
  }
  return linears.map((l) => {
    const v = json[l.name];
    if (!Array.isArray(v) || v.length !== l.in || !v.every((x) => typeof x === 'number' && x >= 0)) {
      throw new CliError(`--norms ${file}: '${l.name}' must be ${l.in} non-negative numbers`);
    }
    return Float32Array.from(v as number[]);
  });
}

/** The model's Linears with pruned weights (zeros in place), in prunableLinears order. */
export function prunedLinears(linears: Linear[], result: ModelPruneResult): Linear[] {
  return linears.map((l, i) => ({ ...l, weight: applyMask(l.weight, result.matrices[i].mask) }));
}

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, { ...pruneFlagSpec, out: { type: 'string' }, hpw: { type: 'string' }, 'per-matrix': { type: 'boolean' } });
  const config = configFromFlags(f);
  const valueType = valueTypeFlag(f['value-type']);
  const file = modelPath(f.model);
  const onnx = await loadModel(file);
  const linears = prunableLinears(onnx.model);
  const norms = await loadNorms(f.norms, linears, config.score, onnx.model);
  const t0 = performance.now();
  let result: ModelPruneResult;
  try {
    result = pruneMatrices(matrixInputs(onnx.model, norms), config);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const pruneMs = performance.now() - t0;
  const report = pruneReport(result, config);
  const written: Record<string, string> = {};
  if (f.out) {
    await writeFile(f.out, writeBertOnnx(onnx, prunedLinears(linears, result)));
    written.onnx = f.out;
  }
  if (f.hpw) {
    if (result.matrices.some((m) => !m.hp)) throw new CliError(`--hpw needs an HP-structured pattern (hp, tile, vector), not '${config.pattern}'`);
    const bytes = writeHPW({ valueType, matrices: result.matrices.map((m) => ({ name: m.name, hp: m.hp! })), info: { model: path.basename(file), config, achievedSparsity: result.achievedSparsity } });
    await writeFile(f.hpw, bytes);
    written.hpw = f.hpw;
  }
  return {
    model: file,
    config,
    valueType,
    achievedSparsity: report.achievedSparsity,
    pruneMs: Math.round(pruneMs),
    totalBytes: report.totalBytes[valueType],
    compressionVsDenseF32: report.compression[valueType],
    matrices: report.matrices.map((m) =>
      f['per-matrix'] ? { name: m.name, shape: m.shape, achievedSparsity: m.achievedSparsity, params: m.params, bytes: m.bytes[valueType] } : { name: m.name, achievedSparsity: +m.achievedSparsity.toFixed(6), bytes: m.bytes[valueType] },
    ),
    written,
  };
}
