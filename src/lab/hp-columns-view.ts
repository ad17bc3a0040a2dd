// An HP linear's columns path (hp-columns.ts) seen as an ordinary rows-in, rows-out GpuLinear, so
// that `hp-lab bench hp --columns`, `bench verify` and the tests verify and time it with the one
// harness (kernel-bench.ts). Modes: 'kernel' transposes each new input once, in a submit of its
// own, and records only the columns kernel (its time alone); 'transpose' records the transpose
// and the kernel (what a forward pays); 'out-columns' records the kernel writing Y as columns and
// a transpose of those back to rows (checks the columns epilogue).
import { asBinding, type BufferArg, type EncodeTarget } from '../gpu/kernel';
import type { GpuLinear } from '../gpu/kernels';
import { columnsFloats, createColumnsTranspose } from '../gpu/kernels/hp-columns';

export type ColumnsViewMode = 'kernel' | 'transpose' | 'out-columns';

export function columnsView(device: GPUDevice, lin: GpuLinear, mode: ColumnsViewMode): GpuLinear {
  const cols = lin.columns;
  if (!cols) throw new RangeError(`${lin.tileFor()}: this linear has no columns path (out % 4 != 0?)`);
  const transpose = createColumnsTranspose(device);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const buffer = (floats: number) => device.createBuffer({ size: Math.max(16, floats * 4), usage });
  const xt = buffer(columnsFloats(lin.in, lin.maxTokens));
  const yt = buffer(columnsFloats(lin.out, lin.maxTokens));
  const params = (tokens: number, k: number) => {
    const u = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(u, 0, Uint32Array.of(tokens, k, 0, 0));
    return u;
  };
  const owned: GPUBuffer[] = [xt, yt];
  const groups = new Map<string, GPUBindGroup>();
  const group = (key: string, tokens: number, k: number, from: BufferArg, to: BufferArg) => {
    let g = groups.get(key);
    if (!g) {
      const u = params(tokens, k);
      owned.push(u);
      groups.set(key, (g = transpose.bind(u, from, to)));
    }
    return g;
  };
  const ids = new WeakMap<GPUBuffer, number>();
  let nextId = 0;
  const id = (b: GPUBuffer) => ids.get(b) ?? (ids.set(b, ++nextId), nextId);
  let transposed: { input: GPUBuffer; tokens: number } | null = null;
  const withPass = (target: EncodeTarget, f: (pass: GPUComputePassEncoder) => void) => {
    if ('dispatchWorkgroups' in target) return f(target);
    const pass = target.beginComputePass();
    f(pass);
    pass.end();
  };
  return {
    ...lin,
    tileFor: (tokens = lin.maxTokens) => `columns ${mode} ${cols.tileFor(tokens)}`,
    partsFor: () => 1,
    encode(target, input, output, tokens = lin.maxTokens) {
      if (tokens === 0) return;
      if (mode === 'out-columns' && tokens % 4 !== 0)
        throw new RangeError('columns view out-columns: tokens must be a multiple of 4 (Y is written P x out)');
      const x = asBinding(input);
      const y = asBinding(output);
      const toCols = group(`x${tokens}:${id(x.buffer)}`, tokens, lin.in, x, xt);
      if (mode !== 'transpose' && (transposed?.input !== x.buffer || transposed.tokens !== tokens)) {
        const enc = device.createCommandEncoder();
        withPass(enc, (pass) => transpose.encode(pass, toCols, tokens, lin.in));
        device.queue.submit([enc.finish()]);
        transposed = { input: x.buffer, tokens };
      }
      withPass(target, (pass) => {
        if (mode === 'transpose') transpose.encode(pass, toCols, tokens, lin.in);
        if (mode !== 'out-columns') return cols.encode(pass, xt, output, tokens, false);
        cols.encode(pass, xt, yt, tokens, true);
        // YT: out rows of P = tokens floats; as 'tokens' x k = out x P its transpose is Y (P x out).
        transpose.encode(pass, group(`y${tokens}:${id(y.buffer)}`, lin.out, tokens, yt, y), lin.out, tokens);
      });
    },
    destroy() {
      lin.destroy();
      for (const b of owned) b.destroy();
    },
  };
}
