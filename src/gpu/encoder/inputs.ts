// Token inputs as callers hold them (Int32Array, the tokenizer's BigInt64Array, plain arrays)
// -> the u32 words the kernels read, checked against the model first.
import type { BertModel } from '../../core/model/bert-types';
import { validateBatch } from '../../core/model/reference-forward';

export type IdArray = Int32Array | Uint32Array | BigInt64Array | ArrayLike<number>;

export function toInt32(a: IdArray): Int32Array<ArrayBuffer> {
  if (a instanceof Int32Array && a.buffer instanceof ArrayBuffer) return a as Int32Array<ArrayBuffer>;
  if (a instanceof BigInt64Array)
    return Int32Array.from(a, (v) => (v > 0x7fffffffn || v < -0x80000000n ? -1 : Number(v)));
  return Int32Array.from(a as ArrayLike<number>);
}

/** The same values as u32 words (callers validate first: negatives never reach the GPU). */
export function toTokenWords(a: IdArray): Uint32Array<ArrayBuffer> {
  const i = toInt32(a);
  return new Uint32Array(i.buffer, i.byteOffset, i.length);
}

/** Shapes, id ranges and a non-empty mask per sequence, with messages that say what is wrong. */
export function validateEngineInputs(
  model: BertModel,
  inputIds: IdArray,
  attentionMask: IdArray,
  tokenTypeIds: IdArray | null | undefined,
  batch: number,
  seq: number,
): void {
  validateBatch(model, {
    inputIds: toInt32(inputIds),
    attentionMask: toInt32(attentionMask),
    tokenTypeIds: tokenTypeIds ? toInt32(tokenTypeIds) : undefined,
    batch,
    seq,
  });
}
