// hp-lab calibrate: input-feature norms ||x_j|| of every prunable matrix over TRAIN sentences,
// for activation-aware pruning scores (--score activation).
import { writeFile } from 'node:fs/promises';
import { parseFlags, numberFlag } from '../args';
import { loadModel, modelPath } from '../model-file';
import { inputFile, outputFile } from '../paths';
import { calibrate, DEFAULT_CALIBRATION_DATA } from '../calibration';
import { DEFAULT_CALIBRATION_SENTENCES, normsToJson } from '../../core/pruning/calibration';

export const usage =
  `hp-lab calibrate [--model M.onnx] [--data ${DEFAULT_CALIBRATION_DATA}] ` +
  `[--limit ${DEFAULT_CALIBRATION_SENTENCES}] [--out norms.json]
  Runs the dense model (plain-TS reference forward) on the first N calibration sentences and
  writes {"<matrix name>": [||x_j|| ...]} for 'hp-lab prune|sweep --score activation --norms'.
  Use train sentences only: calibrating on dev or test leaks the evaluation data.`;

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    limit: { type: 'string' },
    out: { type: 'string' },
  });
  const limit = numberFlag(f.limit, 'limit', DEFAULT_CALIBRATION_SENTENCES, 1, 100_000, true);
  if (f.out !== undefined) outputFile('out', f.out);
  if (f.data !== undefined) inputFile('data', f.data);
  const onnx = await loadModel(modelPath(f.model));
  const t0 = performance.now();
  const norms = calibrate(onnx.model, f.data, limit);
  const json = normsToJson(onnx.model, norms);
  if (f.out) await writeFile(f.out, JSON.stringify(json));
  return {
    sentences: limit,
    data: f.data ?? DEFAULT_CALIBRATION_DATA,
    ms: Math.round(performance.now() - t0),
    matrices: Object.keys(json).length,
    out: f.out ?? null,
    ...(f.out ? {} : { norms: json }),
  };
}
