// Loading and accuracy benchmark (Node, onnxruntime-web wasm): parse time, write-back time,
// session creation, eval throughput by batch size and thread count, and dev accuracy.
// Usage: npx tsx scripts/bench/model-eval.ts [model.onnx] [data.jsonl] [threads]
// (ORT's wasm thread count is fixed when its runtime starts: one thread count per process.)
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../src/core/model/bert-types';
import { writeBertOnnx } from '../../src/core/model/onnx-writer';
import { evaluateSession } from '../../src/eval/accuracy';
import { configureOrt, createBertSession } from '../../src/eval/ort-session';
import {
  DEFAULT_DATA,
  defaultModelPath,
  manifestMaxLength,
  readDataset,
  readModelBytes,
  readTokenizer,
} from '../../src/eval/node-assets';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn: () => void, reps = 5): number {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const modelPath = process.argv[2] ?? defaultModelPath();
const dataPath = process.argv[3] ?? DEFAULT_DATA;
const bytes = readModelBytes(modelPath);
const tok = readTokenizer();
const data = readDataset(dataPath);
const parsed = parseBertOnnx(bytes);
const linears = prunableLinears(parsed.model);
const out: Record<string, unknown> = {
  model: modelPath,
  file_mb: +(bytes.byteLength / 2 ** 20).toFixed(2),
  config: parsed.model.config,
  parse_ms: +time(() => parseBertOnnx(bytes)).toFixed(1),
  write_24_ms: +time(() => writeBertOnnx(parsed, linears)).toFixed(1),
};
const runs: unknown[] = [];
const threads = Number(process.argv[4] ?? 1);
const maxLength = manifestMaxLength() ?? 128;
out.max_length = maxLength;
{
  configureOrt({ threads });
  const t0 = performance.now();
  const session = await createBertSession(bytes, { backend: 'wasm' });
  const createMs = performance.now() - t0;
  for (const batch of [1, 8, 32]) {
    const r = await evaluateSession(session, tok, data, { batch, maxLength });
    runs.push({
      threads,
      batch,
      session_ms: Math.round(createMs),
      accuracy: r.accuracy,
      correct: r.correct,
      n: r.n,
      ms: Math.round(r.ms),
      sentences_per_s: +r.sentencesPerSecond.toFixed(1),
    });
  }
  await session.release();
}
out.eval = runs;
console.log(JSON.stringify(out, null, 1));
