// A pruned model's weights on top of the dense ONNX: a .hpw (HP-structured patterns) or a .spw
// (any other pattern), told apart by their magic, so the app and the CLI take either file.
import { decodeHP } from './hp';
import { HPW_MAGIC, readHPW, type HPWFile } from './hpw';
import { readSPW, SPW_MAGIC, spwDense, type SPWFile } from './spw';
import { FormatError } from './byte-io';
import { hasMagic } from './weights-frame';

export type WeightsFile = { kind: 'hpw'; file: HPWFile } | { kind: 'spw'; file: SPWFile };

export interface DenseMatrix {
  name: string;
  out: number;
  in: number;
  /** Row-major out x in, zeros where the pattern pruned. */
  weight: () => Float32Array;
}

export function readWeightsFile(bytes: Uint8Array): WeightsFile {
  if (hasMagic(bytes, HPW_MAGIC)) return { kind: 'hpw', file: readHPW(bytes) };
  if (hasMagic(bytes, SPW_MAGIC)) return { kind: 'spw', file: readSPW(bytes) };
  throw new FormatError(`not a weights file: it starts with neither "${HPW_MAGIC}" (.hpw) nor "${SPW_MAGIC}" (.spw)`);
}

/** Each matrix of the file with its shape; the dense weight is decoded only when asked for. */
export function denseMatrices(w: WeightsFile): DenseMatrix[] {
  if (w.kind === 'hpw')
    return w.file.matrices.map(({ name, hp }) => ({ name, out: hp.out, in: hp.in, weight: () => decodeHP(hp) }));
  return w.file.matrices.map((e) => ({ name: e.name, out: e.csr.out, in: e.csr.in, weight: () => spwDense(e) }));
}
