// Node-only: reads the model, tokenizer and dataset from disk for the CLI, benchmarks and the
// pruning sweep, with the same parsers and errors as the app. (The app fetches the same files.)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDatasetBytes, type Dataset } from '../core/data/dataset';
import { checkDatasetSize } from '../core/data/dataset-text';
import { BertTokenizer } from '../core/model/tokenizer';
import { ModelLoadError } from '../core/model/model-error';
import { defaultModelFile, type Manifest } from '../core/model/manifest';

export const DEFAULT_TOKENIZER = 'public/tokenizer/tokenizer.json';
export const DEFAULT_DATA = 'public/data/dev.jsonl';
const MODELS_DIR = 'public/models';

function read(file: string): Buffer {
  if (!existsSync(file)) throw new ModelLoadError('not-found', `File not found: ${file}`);
  return readFileSync(file);
}

/** The shipped model: manifest.json's default (or first) entry, else the only .onnx file. */
export function defaultModelPath(root = '.'): string {
  const dir = path.join(root, MODELS_DIR);
  const manifestPath = path.join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const file = defaultModelFile(JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest);
    if (file) return path.join(dir, file);
  }
  const onnx = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')) : [];
  if (onnx.length !== 1)
    throw new ModelLoadError(
      'not-found',
      `No default model: expected one .onnx file in ${dir} (found ${onnx.length}); pass --model.`,
    );
  return path.join(dir, onnx[0]);
}

/** manifest.json's maxLength for the shipped model (the length it was evaluated with), if any. */
export function manifestMaxLength(root = '.'): number | undefined {
  const manifestPath = path.join(root, MODELS_DIR, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const n = (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest).maxLength;
  return Number.isInteger(n) && n! >= 2 ? n : undefined;
}

export function readModelBytes(file: string): Uint8Array {
  const b = read(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function readTokenizer(file = DEFAULT_TOKENIZER): BertTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(read(file).toString('utf8'));
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError('bad-tokenizer', `The tokenizer file ${file} is not JSON.`);
  }
  const configPath = path.join(path.dirname(file), 'tokenizer_config.json');
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
  return BertTokenizer.fromJson(json, config);
}

export function readDataset(file = DEFAULT_DATA): Dataset {
  if (existsSync(file)) checkDatasetSize(statSync(file).size, `The dataset ${file}`); // before reading it
  const b = read(file);
  return parseDatasetBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), file);
}
