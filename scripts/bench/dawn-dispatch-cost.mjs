// What one compute dispatch costs through Dawn under Node, apart from any kernel's work: the CPU
// time to record D trivial dispatches (setPipeline, setBindGroup with K buffers, dispatch), the
// CPU time of queue.submit (Dawn translates the commands for the driver there), and the wait for
// the results (the GPU's dependent dispatches, then a 256-byte readback). Issue 19's B=1 wall time
// is made of these. Run on the GPU host after `source .gpu/prelude.sh`:
//   node scripts/bench/dawn-dispatch-cost.mjs > OUT.jsonl     (DAWN_ENABLE=toggle,... optional)
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const toggles = process.env.DAWN_ENABLE ? [`enable-dawn-features=${process.env.DAWN_ENABLE}`] : [];
const gpu = create(toggles);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

/** D dispatches, each reading K - 1 buffers and writing one (dispatch d's output is d + 1's input). */
async function trial(D, K, reps = 400, warmup = 50) {
  const buffer = () => device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const acts = Array.from({ length: D + 1 }, buffer);
  const weights = Array.from({ length: D * Math.max(0, K - 2) }, buffer);
  const decl = [];
  for (let i = 0; i < K - 1; i++) decl.push(`@group(0) @binding(${i}) var<storage, read> in${i}: array<f32>;`);
  decl.push(`@group(0) @binding(${K - 1}) var<storage, read_write> o: array<f32>;`);
  const sum = Array.from({ length: K - 1 }, (_, i) => `in${i}[g.x]`).join(' + ');
  const pipelines = Array.from({ length: D }, (_, p) =>
    device.createComputePipeline({
      layout: 'auto',
      compute: {
        module: device.createShaderModule({
          code: [
            ...decl,
            '@compute @workgroup_size(64)',
            `fn main(@builtin(global_invocation_id) g: vec3u) { o[g.x] = ${sum} + ${p}.0; }`,
          ].join('\n'),
        }),
        entryPoint: 'main',
      },
    }),
  );
  const groups = pipelines.map((p, d) => {
    const entries = [{ binding: 0, resource: { buffer: acts[d] } }];
    for (let i = 1; i < K - 1; i++) entries.push({ binding: i, resource: { buffer: weights[d * (K - 2) + i - 1] } });
    entries.push({ binding: K - 1, resource: { buffer: acts[d + 1] } });
    return device.createBindGroup({ layout: p.getBindGroupLayout(0), entries });
  });
  const readback = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const record = [];
  const submit = [];
  const wait = [];
  for (let r = 0; r < reps + warmup; r++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let d = 0; d < D; d++) {
      pass.setPipeline(pipelines[d]);
      pass.setBindGroup(0, groups[d]);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    enc.copyBufferToBuffer(acts[D], 0, readback, 0, 256);
    const commands = enc.finish();
    const t1 = performance.now();
    device.queue.submit([commands]);
    const t2 = performance.now();
    await readback.mapAsync(GPUMapMode.READ);
    readback.unmap();
    const t3 = performance.now();
    if (r >= warmup) {
      record.push(t1 - t0);
      submit.push(t2 - t1);
      wait.push(t3 - t2);
    }
  }
  const row = {
    dispatches: D,
    buffers_per_dispatch: K,
    record_ms: +median(record).toFixed(4),
    submit_ms: +median(submit).toFixed(4),
    wait_ms: +median(wait).toFixed(4),
    toggles: process.env.DAWN_ENABLE ?? '',
  };
  console.log(JSON.stringify(row));
}

const errors = [];
device.addEventListener('uncapturederror', (e) => errors.push(e.error.message));
for (const D of [1, 10, 30, 60]) for (const K of [2, 5, 8]) await trial(D, K);
if (errors.length) {
  console.error(`dawn-dispatch-cost: ${errors.length} GPU errors, first: ${errors[0]}`);
  process.exit(1);
}
