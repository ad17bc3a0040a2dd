// The engine in a real browser: the same measurements as `hp-lab encoder --profile
// --compare-ort-webgpu` (lab/encoder-experiment, lab/encoder-rows, lab/ort-webgpu-peer), run by a
// page on the browser's own WebGPU instead of Node + Dawn, so the two settings can be compared on
// one GPU. Built by scripts/bench/build-browser-encoder.mjs, served and driven by run.sh (a
// headless Chromium); progress and the result go back to the server as POSTs (serve.py).
// Query: batch=1,32 seq=64,128 sparsity=0.9 reps=30 warmup=3 spinup=1500 (ms) profile=1 ort=1 plain=0.
import { acquireGpu } from '../../../src/gpu/adapter';
import { readbackFloor } from '../../../src/gpu/readback-floor';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import type { PruneConfig } from '../../../src/core/pruning';
import type { EncoderEngine } from '../../../src/gpu/encoder';
import { EncoderExperiment } from '../../../src/lab/encoder-experiment';
import { floorRow, latencyRow, profileRow } from '../../../src/lab/encoder-rows';
import { compareWithOrtWebGpu } from '../../../src/lab/ort-webgpu-peer';
import { PruneSession } from '../../../src/lab/prune-session';
import { ortWebGpuSession } from '../../../src/eval/ort-webgpu';

const q = new URLSearchParams(location.search);
const list = (k: string, d: string) => (q.get(k) ?? d).split(',').map(Number);
const num = (k: string, d: number) => Number(q.get(k) ?? d);
const batches = list('batch', '1,32');
const seqs = list('seq', '64,128');
const sparsity = num('sparsity', 0.9);
const reps = num('reps', 30);
const warmup = num('warmup', 3);
const spinUpMs = num('spinup', 1500);
const model = q.get('model') ?? '/public/models/tinybert-rt.onnx';

const post = (path: string, body: unknown) =>
  fetch(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
const log = (line: string) => {
  document.body.textContent += `${line}\n`;
  return post('/log', line);
};

async function main() {
  const t0 = performance.now();
  const gpu = await acquireGpu(navigator.gpu);
  const info = gpu.adapter.info;
  await log(`adapter ${gpu.caps.label} (${info.vendor} ${info.architecture} ${info.description})`);
  // The round trip on a fresh device, and again with the engines built and warm (below).
  const floorFresh = await readbackFloor(gpu.device);
  await log(`readback floor, fresh device ${JSON.stringify(floorFresh)}`);
  const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
  const onnx = parseBertOnnx(bytes);
  const prune = new PruneSession(onnx);
  const experiment = new EncoderExperiment(gpu, prune);
  const size = { maxBatch: Math.max(...batches), maxSeq: Math.max(...seqs) };
  const config: PruneConfig = { pattern: 'hp', sparsity, score: 'magnitude', tr: 32, tc: 32, split: 0.5 };
  const dense = experiment.engine(null, size).engine;
  const hp = experiment.engine(config, size).engine;
  const shapes = seqs.flatMap((seq) => batches.map((batch) => ({ batch, seq })));
  await experiment.spinUp(dense, size.maxBatch, size.maxSeq, spinUpMs);
  const floor = await readbackFloor(gpu.device);
  await log(`readback floor, engines built ${JSON.stringify(floor)}`);
  const latencyRows = async (engines: { dense: EncoderEngine; hp: EncoderEngine }, label: string) => {
    const rows = [];
    for (const { batch, seq } of shapes) {
      const d = await experiment.latency(engines.dense, batch, seq, reps, warmup);
      const h = await experiment.latency(engines.hp, batch, seq, reps, warmup);
      rows.push(latencyRow(sparsity, d, h, engines));
      await log(`${label} ${JSON.stringify(rows.at(-1))}`);
    }
    return rows;
  };
  const latency = await latencyRows({ dense, hp }, 'latency');
  // plain=1: the same with engines that wait for their logits without nudging the browser (the
  // engine nudges by default in a browser on a hardware adapter: readback-floor.ts).
  let latencyPlain: unknown[] = [];
  if (q.get('plain') === '1') {
    const plain = { ...size, nudgeReadback: false };
    const engines = { dense: experiment.engine(null, plain).engine, hp: experiment.engine(config, plain).engine };
    latencyPlain = await latencyRows(engines, 'latency without nudges');
    engines.dense.destroy();
    engines.hp.destroy();
  }
  const profile = [];
  if (q.get('profile') !== '0')
    for (const { batch, seq } of shapes)
      for (const [linears, engine] of [
        ['dense', dense],
        ['hp', hp],
      ] as [string, EncoderEngine][]) {
        const p = await engine.profile(batch, seq, Math.min(reps, 30), Math.min(warmup, 3));
        const kernels = engine.kernelVariants(batch * seq);
        profile.push({ sparsity: linears === 'hp' ? sparsity : 0, linears, batch, seq, kernels, ...profileRow(p) });
        await log(`profile ${JSON.stringify(profile.at(-1))}`);
      }
  let ortWebgpu: unknown[] = [];
  if (q.get('ort') !== '0') {
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
    const t = performance.now();
    const session = await ortWebGpuSession(ort, bytes);
    await log(`ort-webgpu: session created in ${Math.round(performance.now() - t)} ms`);
    ortWebgpu = await compareWithOrtWebGpu({ dense, hp }, session, shapes, {
      vocab: onnx.model.config.vocab,
      reps,
      warmup,
      onRow: (r) => void log(`ort-webgpu ${JSON.stringify(r)}`),
    });
    await session.release();
  }
  dense.destroy();
  hp.destroy();
  await post('/result', {
    setting: 'browser',
    user_agent: navigator.userAgent,
    adapter: gpu.caps.label,
    adapter_info: { vendor: info.vendor, architecture: info.architecture, description: info.description },
    timestamp_query: gpu.caps.hasTimestampQuery,
    subgroups: gpu.caps.hasSubgroups,
    sparsity,
    reps,
    warmup,
    readback_floor_ms: { fresh: floorRow(floorFresh), engines_built: floorRow(floor) },
    latency,
    latency_plain: latencyPlain,
    profile,
    ort_webgpu: ortWebgpu,
    total_s: Math.round((performance.now() - t0) / 100) / 10,
  });
}

main().catch((err: Error) => post('/result', { setting: 'browser', error: `${err.name}: ${err.message}` }));
