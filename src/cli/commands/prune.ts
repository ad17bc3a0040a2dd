// hp-lab prune: one-shot pruning of a BERT ONNX model's 24 encoder matrices; prints per-matrix
// sparsity and bytes per format as JSON, optionally writes the pruned ONNX (zeros in place) and
// the .hpw file (HP-structured patterns only) or the .spw file (any pattern).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hpBytes, type ValueType } from '../../core/formats/hp';
import { isHPStructured, pruneReport, PATTERNS, SCORE_KINDS, type ModelPruneResult } from '../../core/pruning';
import { DEFAULT_DAMP } from '../../core/recover/reconstruct';
import { DEFAULT_CALIBRATION_SENTENCES } from '../../core/pruning/calibration';
import { DEFAULT_RECOVERY_SENTENCES } from '../../core/recover/recover-pruned';
import { needsRecovery, PruneSession } from '../../lab/prune-session';
import { recoverInSession } from '../calibration';
import { parseFlags } from '../args';
import { CliError } from '../cli-error';
import { loadModel, modelPath } from '../model-file';
import { outputFile } from '../paths';
import { configFromFlags, loadNorms, pruneFlagSpec, valueTypeFlag } from '../prune-flags';

export const usage =
  `hp-lab prune --model M.onnx --pattern hp --sparsity 0.9 [options]
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
                       (activation: |w|·||x||; obs: |w| / sqrt([H⁻¹]_jj), ` +
  `H = XᵀX of ${DEFAULT_CALIBRATION_SENTENCES} train sentences)
  --norms PATH         activation scores: JSON {"<matrix name>": [||x_j||, ...]} ` +
  `from a calibration run on TRAIN sentences
  --recover K          none | lsq | lsq-dense: lsq reconstructs the kept weights layer by layer (least squares on
                       calibration activations of train sentences; masks unchanged, no retraining); lsq-dense
                       fits each layer to the dense model's outputs instead (~4x lsq's time) (default none)
  --calib N            --recover: calibration sentences from the train split (default ${DEFAULT_RECOVERY_SENTENCES})
  --calib-data PATH    --recover: calibrate on the first N sentences of this JSONL/CSV instead (never dev/test),
                       e.g. .data/calib/reviews.jsonl (scripts/data/review-sentences.mjs)
  --damp X             --recover: damping, a fraction of the mean input energy (default ${DEFAULT_DAMP})
  --threads N          --recover: threads that share the calibration tokens (default: the cores, at most 4)
  --fit-bias           --recover: fit each linear's bias too (least squares with an intercept column)
  --residual-targets on|off   --recover lsq-dense: attention-output and FFN-output linears also make up
                       the residual stream's difference, so each LayerNorm gets the dense model's sum
                       (default on; lsq-dense's defaults: 256 sentences, damp 0.01, src/lab/recovery-methods.ts)
  --value-type T       f32 | f16 | int8 for the printed sizes and the .hpw (default f32; int8: codes with
                       one f32 scale per output row, HP only, the other formats' sizes printed for f32)
  --out PATH           write the pruned ONNX (zeros in place)
  --hpw PATH           write the HP matrices as .hpw (patterns hp, tile, vector)
  --spw PATH           write the pruned matrices as .spw (CSR of the kept positions; any pattern, f32 or f16)
  --per-matrix         include every matrix in the output (default: totals + per-matrix sparsity)`;

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    ...pruneFlagSpec,
    out: { type: 'string' },
    hpw: { type: 'string' },
    spw: { type: 'string' },
    'per-matrix': { type: 'boolean' },
  });
  const config = configFromFlags(f);
  const hpwType = valueTypeFlag(f['value-type']);
  const valueType: ValueType = hpwType === 'int8' ? 'f32' : hpwType; // every format has f32/f16 sizes
  // Every output is checked before the work, not after a whole prune.
  if (f.out !== undefined) outputFile('out', f.out);
  if (f.hpw !== undefined) {
    outputFile('hpw', f.hpw);
    if (!isHPStructured(config.pattern))
      throw new CliError(`--hpw needs an HP-structured pattern (hp, tile, vector), not '${config.pattern}'`);
    if (config.recovery?.bias)
      throw new CliError('--hpw holds the matrices only, not the biases --fit-bias fits: write --out (ONNX) instead');
  }
  if (f.spw !== undefined) {
    outputFile('spw', f.spw);
    if (hpwType === 'int8') throw new CliError('--spw stores f32 or f16 values, not int8');
  }
  const file = modelPath(f.model);
  const session = new PruneSession(await loadModel(file));
  const norms = await loadNorms(f.norms, session.model, config.score);
  if (norms) session.setInputNorms(norms, config.score === 'obs' ? 'obs' : 'activation');
  const t0 = performance.now();
  let result: ModelPruneResult;
  try {
    result = session.prune({ ...config, recovery: undefined });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const pruneMs = performance.now() - t0;
  const recovery = needsRecovery(config)
    ? await recoverInSession(session, config, f['calib-data'], f.threads)
    : undefined;
  if (recovery) result = session.prune(config);
  const report = pruneReport(result, config);
  const written: Record<string, string> = {};
  if (f.out) {
    await writeFile(f.out, session.prunedOnnx(config));
    written.onnx = f.out;
  }
  if (f.hpw) {
    if (!isHPStructured(config.pattern))
      throw new CliError(`--hpw needs an HP-structured pattern (hp, tile, vector), not '${config.pattern}'`);
    await writeFile(f.hpw, session.hpwFile(config, hpwType, path.basename(file)));
    written.hpw = f.hpw;
  }
  if (f.spw) {
    await writeFile(f.spw, session.spwFile(config, valueType, path.basename(file)));
    written.spw = f.spw;
  }
  return {
    model: file,
    config,
    valueType: hpwType,
    achievedSparsity: report.achievedSparsity,
    pruneMs: Math.round(pruneMs),
    ...(recovery ? { recovery: { ...recovery, ms: Math.round(recovery.ms) } } : {}),
    totalBytes: report.totalBytes[valueType],
    ...(hpwType === 'int8' && isHPStructured(config.pattern)
      ? { hpInt8Bytes: result.matrices.reduce((sum, m) => sum + hpBytes(m.hp!, 'int8'), 0) }
      : {}),
    compressionVsDenseF32: report.compression[valueType],
    matrices: report.matrices.map((m) =>
      f['per-matrix']
        ? {
            name: m.name,
            shape: m.shape,
            achievedSparsity: m.achievedSparsity,
            params: m.params,
            bytes: m.bytes[valueType],
          }
        : { name: m.name, achievedSparsity: +m.achievedSparsity.toFixed(6), bytes: m.bytes[valueType] },
    ),
    written,
  };
}
