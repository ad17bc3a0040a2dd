// Runner of int8-transpose.wgsl: packed activation codes (tokens x XW words, int8-quantize's
// output) -> the same codes as columns (XW * 4 columns x TW words, four tokens a word, TW =
// maxTokens padded to 16 / 4), what the HP int8 kernels' 'x' variants read.
import transposeWgsl from './int8-transpose.wgsl?raw';
import bytesWgsl from './int8-bytes.wgsl?raw';
import { bindingLayout, compilePipeline, runDispatch, tokenUniform, type EncodeTarget } from '../kernel';
import { checkBufferArg } from '../limits';
import { checkTokens } from './linear-common';

export interface Int8Transposer {
  /** Words of one transposed column (four tokens a word, maxTokens padded to 16). */
  readonly tw: number;
  /** xq: tokens x xw words -> xt: xw * 4 columns x tw words. */
  encode(target: EncodeTarget, xq: GPUBufferBinding, xt: GPUBufferBinding, tokens: number): void;
  destroy(): void;
}

/** Words of one transposed column for `tokens` tokens. */
export function int8ColumnWords(tokens: number): number {
  return Math.max(4, Math.ceil(tokens / 16) * 4);
}

export function createInt8Transposer(
  device: GPUDevice,
  opts: { maxTokens: number; xw: number; label: string },
): Int8Transposer {
  const { maxTokens, xw, label } = opts;
  const tw = int8ColumnWords(maxTokens);
  const layout = bindingLayout(device, 'int8-transpose', ['uniform', 'read', 'write']);
  const pipeline = compilePipeline(device, layout, 'int8-transpose', `${transposeWgsl}\n${bytesWgsl}`);
  const uniforms = new Map<number, GPUBuffer>();
  let destroyed = false;
  return {
    tw,
    encode(target, xq, xt, tokens) {
      if (destroyed) throw new Error(`${label}: used after destroy()`);
      checkTokens(tokens, maxTokens, label);
      if (tokens === 0) return;
      checkBufferArg(`${label} codes`, xq, tokens * xw * 4);
      checkBufferArg(`${label} transposed codes`, xt, xw * 4 * tw * 4);
      const u = tokenUniform(device, uniforms, tokens, () => Uint32Array.of(tokens, xw, tw, 0), label);
      const group = device.createBindGroup({
        label,
        layout: layout.group,
        entries: [
          { binding: 0, resource: { buffer: u } },
          { binding: 1, resource: xq },
          { binding: 2, resource: xt },
        ],
      });
      const grid = { x: xw / 8, y: Math.ceil(tokens / 128) };
      runDispatch(
        target,
        device.limits,
        label,
        { pipeline, workgroup: { x: 256, y: 1, storageBytes: 32 * 33 * 4 }, grid },
        group,
      );
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const u of uniforms.values()) u.destroy();
    },
  };
}
