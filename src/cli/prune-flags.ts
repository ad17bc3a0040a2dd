// The pruning flags shared by hp-lab prune, sweep and encoder: the PruneConfig they describe,
// the value type, and the input norms for activation scores.
import { readFile } from 'node:fs/promises';
import { HP_VALUE_TYPES, type HPValueType } from '../core/formats/hp';
import { prunableLinears, type BertModel } from '../core/model/bert-types';
import { PATTERNS, SCORE_KINDS, type Pattern, type PruneConfig, type ScoreKind } from '../core/pruning';
import { numberFlag, tileFlag } from './args';
import { inputFile } from './paths';
import { isJsonObject } from '../core/formats/json-depth';
import { RECOVERY_KINDS, type RecoveryConfig, type RecoveryKind } from '../core/recover/recover-pruned';
import { recoveryConfig } from '../lab/recovery-methods';
import { calibrate, trainBatches } from './calibration';
import { DEFAULT_CALIBRATION_SENTENCES } from '../core/pruning/calibration';
import { collectObsFactors } from '../core/recover/obs-scores';
import { CliError } from './cli-error';

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
  recover: { type: 'string' },
  calib: { type: 'string' },
  damp: { type: 'string' },
  'calib-data': { type: 'string' },
  'fit-bias': { type: 'boolean' },
  'residual-targets': { type: 'string' },
  threads: { type: 'string' },
} as const;

type StringFlags = {
  [K in keyof typeof pruneFlagSpec as (typeof pruneFlagSpec)[K]['type'] extends 'string' ? K : never]?: string;
};

type FlagValues = StringFlags & { 'fit-bias'?: boolean };

export { tileFlag } from './args';

/** The PruneConfig the flags describe (sparsity may be overridden per call, e.g. by sweep). */
export function configFromFlags(f: FlagValues): PruneConfig {
  const pattern = (f.pattern ?? 'hp') as Pattern;
  if (!PATTERNS.includes(pattern))
    throw new CliError(`--pattern must be one of ${PATTERNS.join(', ')}, got '${f.pattern}'`);
  const score = (f.score ?? 'magnitude') as ScoreKind;
  if (!SCORE_KINDS.includes(score))
    throw new CliError(`--score must be one of ${SCORE_KINDS.join(', ')}, got '${f.score}'`);
  const [tr, tc] = tileFlag(f.tile);
  const config: PruneConfig = {
    pattern,
    score,
    tr,
    tc,
    sparsity: numberFlag(f.sparsity, 'sparsity', 0.8, 0, 1),
    split: numberFlag(f.split, 'split', 0.5, 0, 1),
  };
  const attn = f['attn-sparsity'],
    ffn = f['ffn-sparsity'];
  if (attn !== undefined || ffn !== undefined) {
    config.groupSparsity = {};
    if (attn !== undefined) config.groupSparsity.attention = numberFlag(attn, 'attn-sparsity', 0, 0, 1);
    if (ffn !== undefined) config.groupSparsity.ffn = numberFlag(ffn, 'ffn-sparsity', 0, 0, 1);
  }
  if ((f['tile-keep'] === undefined) !== (f['vector-keep'] === undefined))
    throw new CliError('--tile-keep and --vector-keep go together');
  if (f['tile-keep'] !== undefined)
    config.keep = {
      tile: numberFlag(f['tile-keep'], 'tile-keep', 1, 0, 1),
      vector: numberFlag(f['vector-keep'], 'vector-keep', 1, 0, 1),
    };
  if (f.nm !== undefined) {
    const m = /^(\d+):(\d+)$/.exec(f.nm);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) < 1)
      throw new CliError(`--nm must be N:M with 0 <= N <= M, e.g. 2:4, got '${f.nm}'`);
    config.nmN = Number(m[1]);
    config.nmM = Number(m[2]);
  }
  const recovery = recoveryFromFlags(f);
  if (recovery) config.recovery = recovery;
  return config;
}

/** --recover / --calib / --damp; null for one-shot. */
function recoveryFromFlags(f: FlagValues): RecoveryConfig | null {
  const kind = (f.recover ?? 'none') as RecoveryKind;
  if (!RECOVERY_KINDS.includes(kind))
    throw new CliError(`--recover must be one of ${RECOVERY_KINDS.join(', ')}, got '${f.recover}'`);
  if (kind === 'none') {
    if (f.calib !== undefined || f.damp !== undefined || f['fit-bias'] || f['residual-targets'] !== undefined)
      throw new CliError('--calib, --damp, --fit-bias and --residual-targets go with --recover lsq|lsq-dense');
    return null;
  }
  const residual = f['residual-targets'];
  if (residual !== undefined && !['on', 'off'].includes(residual))
    throw new CliError(`--residual-targets must be on or off, got '${residual}'`);
  if (residual === 'on' && kind !== 'lsq-dense')
    throw new CliError('--residual-targets on goes with --recover lsq-dense');
  // The method's configuration (the app's, lab/recovery-methods), with what the flags change.
  const { bias, residual: methodResidual, ...method } = recoveryConfig(kind);
  const fitBias = f['fit-bias'] || bias;
  const residualOn = residual === undefined ? methodResidual : residual === 'on';
  return {
    ...method,
    sentences: numberFlag(f.calib, 'calib', method.sentences, 1, 100_000, true),
    damp: numberFlag(f.damp, 'damp', method.damp, 0, 1e6),
    ...(fitBias ? { bias: true } : {}),
    ...(residualOn ? { residual: true } : {}),
  };
}

export function valueTypeFlag(v: string | undefined): HPValueType {
  if (v === undefined) return 'f32';
  if (!HP_VALUE_TYPES.includes(v as HPValueType))
    throw new CliError(`--value-type must be ${HP_VALUE_TYPES.join(', ')}, got '${v}'`);
  return v as HPValueType;
}

/** --norms: {"<matrix name>": number[]} -> one Float32Array per prunable matrix, in order.
 *  Without --norms, activation scores are calibrated on the first train sentences (hp-lab
 *  calibrate's defaults). Undefined for magnitude scores. */
export async function loadNorms(
  file: string | undefined,
  model: BertModel,
  score: ScoreKind,
): Promise<Float32Array[] | undefined> {
  if (score === 'obs') {
    if (file) throw new CliError('--norms goes with --score activation; --score obs calibrates its own H = XᵀX');
    return collectObsFactors(model, trainBatches(DEFAULT_CALIBRATION_SENTENCES));
  }
  if (score !== 'activation') return undefined;
  if (!file) return calibrate(model);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(inputFile('norms', file), 'utf8'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--norms ${file}: ${(err as Error).message}`);
  }
  if (!isJsonObject(json))
    throw new CliError(
      `--norms ${file}: must be a JSON object {"<matrix name>": [numbers]}, ` +
        `not ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`,
    );
  return prunableLinears(model).map((l) => {
    const v = (json as Record<string, unknown>)[l.name];
    if (!Array.isArray(v) || v.length !== l.in || !v.every((x) => typeof x === 'number' && x >= 0)) {
      throw new CliError(`--norms ${file}: '${l.name}' must be ${l.in} non-negative numbers`);
    }
    return Float32Array.from(v as number[]);
  });
}
