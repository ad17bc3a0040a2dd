// The model file a CLI command works on: --model, or the one .onnx in public/models.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBertOnnx, type OnnxBert } from '../core/model/bert-from-onnx';
import { CliError } from './cli-error';
import { inputFile } from './paths';

/** Resolves --model, or the only .onnx under public/models. */
export function modelPath(flag: string | undefined): string {
  if (flag !== undefined) return inputFile('model', flag);
  const dir = 'public/models';
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')) : [];
  if (found.length !== 1)
    throw new CliError(
      `--model is required (${found.length ? `public/models has ${found.join(', ')}` : 'no .onnx in public/models'})`,
    );
  return path.join(dir, found[0]);
}

export async function loadModel(file: string): Promise<OnnxBert> {
  try {
    return parseBertOnnx(new Uint8Array(await readFile(file)));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
}
