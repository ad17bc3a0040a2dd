// One linear layer in the fine-tuner: its HP index buffers (header, tileCol, colOff as the
// inference kernels read them, plus the column view for dX) and the four calls training makes
// of it: forward, input gradient, kept-weight gradient, bias gradient. The values and bias are
// ranges of the trainer's packed parameter buffer (their gradients: of the gradient buffer).
import { packHPForGPU, type HPMatrix } from '../../core/formats/hp';
import { hpColumns } from '../../core/train/hp-columns';
import { uploadBuffer } from '../kernel';
import type { BufferArg } from '../kernels';
import type { KernelCall, TrainKernels } from './train-kernels';

/** The batch geometry a step runs at; a linear runs over every token, or one row per sequence (head). */
export interface StepShape {
  batch: number;
  seq: number;
}

export type RowsOf = 'tokens' | 'sequences';

/** A call plus how its uniform and grid follow the step's shape. */
export interface ShapedCall {
  call: KernelCall;
  prepare(shape: StepShape): void;
}

export const rowCount = (shape: StepShape, rows: RowsOf) => (rows === 'tokens' ? shape.batch * shape.seq : shape.batch);

export interface LinearIndex {
  hp: HPMatrix;
  header: GPUBuffer;
  tileCol: GPUBuffer;
  colOff: GPUBuffer;
  colStart: GPUBuffer;
  entries: GPUBuffer;
  destroy(): void;
}

export function uploadLinearIndex(device: GPUDevice, hp: HPMatrix, label: string): LinearIndex {
  const packed = packHPForGPU(hp, 'f32');
  const cols = hpColumns(hp);
  const bufs = {
    header: uploadBuffer(device, packed.header, `${label}.header`),
    tileCol: uploadBuffer(device, packed.tileCol, `${label}.tileCol`),
    colOff: uploadBuffer(device, packed.colOff, `${label}.colOff`),
    colStart: uploadBuffer(device, cols.colStart, `${label}.colStart`),
    entries: uploadBuffer(device, cols.entries.length ? cols.entries : new Uint32Array(1), `${label}.entries`),
  };
  return { hp, ...bufs, destroy: () => Object.values(bufs).forEach((b) => b.destroy()) };
}

/** y = x Wᵀ + b. */
export function linearForward(
  k: TrainKernels,
  ix: LinearIndex,
  rows: RowsOf,
  b: { values: BufferArg; bias: BufferArg; x: BufferArg; y: BufferArg },
): ShapedCall {
  const call = k.call('linearForward', [ix.header, ix.tileCol, ix.colOff, b.values, b.bias, b.x, b.y]);
  return {
    call,
    prepare(s) {
      const n = rowCount(s, rows);
      call.setParams([n]);
      call.grid = [Math.ceil(ix.hp.out / 64), Math.ceil(n / 16), 1];
    },
  };
}

/** Gradient-input modes: overwrite, add to what is there, or overwrite with the sum plus `addend`. */
export const GRAD_SET = 0,
  GRAD_ADD = 1,
  GRAD_SET_PLUS = 2;

/** dx (=, +=, = … + addend) dy W. */
export function linearGradInput(
  k: TrainKernels,
  ix: LinearIndex,
  rows: RowsOf,
  mode: number,
  b: { values: BufferArg; dy: BufferArg; addend?: BufferArg; dx: BufferArg },
): ShapedCall {
  const call = k.call('linearGradInput', [ix.header, ix.colStart, ix.entries, b.values, b.dy, b.addend ?? b.dy, b.dx]);
  return {
    call,
    prepare(s) {
      const n = rowCount(s, rows);
      call.setParams([n, mode]);
      call.grid = [Math.ceil(ix.hp.in / 64), Math.ceil(n / 16), 1];
    },
  };
}

/** dValues (kept positions only) = dyᵀ x sampled at the mask, and dBias = Σ dy. */
export function linearGradParams(
  k: TrainKernels,
  ix: LinearIndex,
  rows: RowsOf,
  b: { dy: BufferArg; x: BufferArg; dValues: BufferArg; dBias: BufferArg },
): ShapedCall[] {
  const n = ix.hp.values.length;
  const weight = k.call('linearGradWeight', [ix.header, ix.tileCol, ix.colOff, b.dy, b.x, b.dValues]);
  const bias = k.call('columnSums', [b.dy, b.dy, b.dBias]);
  return [
    {
      call: weight,
      prepare(s) {
        weight.setParams([rowCount(s, rows), n]);
        weight.grid = k.flatGrid(n, 32);
      },
    },
    {
      call: bias,
      prepare(s) {
        bias.setParams([rowCount(s, rows), ix.hp.out, 0]);
        bias.grid = [Math.ceil(ix.hp.out / 16), 1, 1];
      },
    },
  ];
}
