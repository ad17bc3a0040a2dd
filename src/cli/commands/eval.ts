// hp-lab eval: accuracy of a BERT ONNX classifier on a labelled dataset with onnxruntime-web's
// wasm backend (the same code path as the app's eval worker, minus WebGPU).
import { parseFlags, numberFlag } from '../args';
import { CliError } from '../cli-error';
import { inputFile } from '../paths';
import { readFileSync } from 'node:fs';
import { readHPW } from '../../core/formats/hpw';
import { linearsWithHPW } from '../../core/model/apply-hpw';
import { parseBertOnnx } from '../../core/model/bert-from-onnx';
import { writeBertOnnx } from '../../core/model/onnx-writer';
import { isModelLoadError } from '../../core/model/model-error';
import { evaluateSession } from '../../eval/accuracy';
import { configureOrt, createBertSession } from '../../eval/ort-session';
import { DEFAULT_DATA, DEFAULT_TOKENIZER, defaultModelPath, manifestMaxLength, readDataset, readModelBytes, readTokenizer } from '../../eval/node-assets';

export const usage = `hp-lab eval [--model M.onnx] [--hpw W.hpw] [--data D.jsonl|.csv] [--tokenizer T.json] [--limit N] [--batch B] [--max-length L] [--threads T]
  Accuracy of a BERT classifier (ONNX) on a labelled dataset with onnxruntime-web (wasm).
  --hpw: the model with that file's matrices in place of its own (a pruned model shipped as
  dense ONNX + .hpw, e.g. public/models/retrained/*.hpw).
  Defaults: the shipped model (public/models), ${DEFAULT_DATA}, ${DEFAULT_TOKENIZER}, batch 32,
  max length from public/models/manifest.json (else 128), 1 thread. Prints {accuracy, correct, n, ms, sentences_per_s, backend, ...}.`;

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseFlags(argv, {
    model: { type: 'string' },
    hpw: { type: 'string' },
    data: { type: 'string' },
    tokenizer: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    'max-length': { type: 'string' },
    threads: { type: 'string' },
  });
  const limit = values.limit === undefined ? undefined : numberFlag(values.limit, 'limit', 0, 1, 1e9, true);
  const batch = numberFlag(values.batch, 'batch', 32, 1, 4096, true);
  const maxLength = numberFlag(values['max-length'], 'max-length', manifestMaxLength() ?? 128, 2, 512, true);
  const threads = numberFlag(values.threads, 'threads', 1, 1, 64, true);
  try {
    const modelPath = values.model !== undefined ? inputFile('model', values.model) : defaultModelPath();
    if (values.hpw !== undefined) inputFile('hpw', values.hpw);
    if (values.data !== undefined) inputFile('data', values.data);
    if (values.tokenizer !== undefined) inputFile('tokenizer', values.tokenizer);
    const parsed = parseBertOnnx(readModelBytes(modelPath)); // validates: clear errors before ORT sees the file
    const bytes = values.hpw ? withHPW(parsed, values.hpw) : parsed.bytes;
    const tokenizer = readTokenizer(values.tokenizer);
    const data = readDataset(values.data ?? DEFAULT_DATA);
    if (maxLength > parsed.model.config.maxPositions) throw new CliError(`--max-length ${maxLength} exceeds the model's ${parsed.model.config.maxPositions} positions`);
    configureOrt({ threads });
    const session = await createBertSession(bytes, { backend: 'wasm' });
    try {
      const r = await evaluateSession(session, tokenizer, data, { limit, batch, maxLength });
      return {
        accuracy: r.accuracy,
        correct: r.correct,
        n: r.n,
        ms: Math.round(r.ms),
        sentences_per_s: Math.round(r.sentencesPerSecond * 10) / 10,
        backend: r.backend,
        threads,
        batch,
        max_length: maxLength,
        model: modelPath,
        ...(values.hpw ? { hpw: values.hpw } : {}),
        data: values.data ?? DEFAULT_DATA,
        config: parsed.model.config,
      };
    } finally {
      await session.release();
    }
  } catch (err) {
    if (isModelLoadError(err)) throw new CliError((err as Error).message);
    throw err;
  }
}

function withHPW(parsed: ReturnType<typeof parseBertOnnx>, file: string): Uint8Array {
  let hpw;
  try {
    hpw = readHPW(new Uint8Array(readFileSync(file)));
  } catch (err) {
    throw new CliError(`--hpw ${file}: ${(err as Error).message}`);
  }
  try {
    return writeBertOnnx(parsed, linearsWithHPW(parsed.model, hpw));
  } catch (err) {
    throw new CliError(`--hpw ${file}: ${(err as Error).message}`);
  }
}
