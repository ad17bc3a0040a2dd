// A BERT classifier with its 24 encoder linears in integer arithmetic (W8A8 or W16A16):
// weights per output channel, activations per token (dynamic) or with one calibrated range per
// linear input (static). Embeddings, LayerNorm, attention, GELU, pooler and classifier stay f32,
// as in integer BERT deployments that quantize the GEMMs. The forward pass is the plain-TS
// reference (core/model/reference-forward.ts) with the integer linears (and, as an option, the
// integer attention of int-attention.ts) swapped in, so its
// accuracy is the accuracy of the integer model, and the WGSL int8 kernels are tested against it.
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import type { HPMatrix } from '../formats/hp';
import { referenceForward, type EncoderBatch } from '../model/reference-forward';
import { intDenseLinear, intHPLinear, quantizeHP, type HPQuant } from './int-linear';
import { quantizeRows, quantizeStatic, type QuantBits, type QuantizedRows } from './quantize';
import { intAttention } from './int-attention';

export type ActivationQuant = 'dynamic' | 'static';
export const ACTIVATION_QUANTS: readonly ActivationQuant[] = ['dynamic', 'static'];

export interface QuantOptions {
  bits: QuantBits;
  activations: ActivationQuant;
  /** Static: the largest |input| of each prunable linear, by Linear.name (calibration.ts). */
  ranges?: Record<string, number>;
  /** 'int8' (8 bits only): the attention in integer arithmetic too (int-attention.ts); default f32. */
  attention?: AttentionQuant;
}

export type AttentionQuant = 'f32' | 'int8';

export interface QuantLinear {
  linear: Linear;
  weight: QuantizedRows;
  /** When the linear is HP-pruned: its HP arrays and their codes (same products, fewer of them). */
  hp?: { matrix: HPMatrix; quant: HPQuant };
  /** Static activations: the calibrated input range. */
  inputRange?: number;
}

export interface QuantizedBert {
  model: BertModel;
  bits: QuantBits;
  activations: ActivationQuant;
  attention: AttentionQuant;
  linears: Map<Linear, QuantLinear>;
}

/** Quantizes every prunable linear of `model` (already pruned, if it is). `hp` (by name) lets
 *  HP-pruned linears run from their HP arrays: the result is identical, the work smaller. */
export function quantizeBert(model: BertModel, opts: QuantOptions, hp?: Map<string, HPMatrix>): QuantizedBert {
  const attention = opts.attention ?? 'f32';
  if (attention === 'int8' && opts.bits !== 8) throw new RangeError('the int8 attention needs 8-bit quantization');
  const linears = new Map<Linear, QuantLinear>();
  for (const l of prunableLinears(model)) {
    let inputRange: number | undefined;
    if (opts.activations === 'static') {
      inputRange = opts.ranges?.[l.name];
      if (!(inputRange !== undefined && inputRange >= 0 && Number.isFinite(inputRange))) {
        throw new RangeError(`static activation quantization needs a calibrated range for ${l.name}`);
      }
    }
    const matrix = hp?.get(l.name);
    linears.set(l, {
      linear: l,
      weight: quantizeRows(l.weight, l.out, l.in, opts.bits),
      hp: matrix
        ? { matrix, quant: matrix.quant?.bits === opts.bits ? matrix.quant : quantizeHP(matrix, opts.bits) }
        : undefined,
      inputRange,
    });
  }
  return { model, bits: opts.bits, activations: opts.activations, attention, linears };
}

/** The activation codes of one linear's input, as its mode says. */
export function quantizeInput(q: QuantizedBert, ql: QuantLinear, x: Float32Array, rows: number): QuantizedRows {
  const width = ql.linear.in;
  return q.activations === 'static'
    ? quantizeStatic(x, rows, width, ql.inputRange!, q.bits)
    : quantizeRows(x, rows, width, q.bits);
}

/** One prunable linear in integer arithmetic. */
export function quantizedLinear(q: QuantizedBert, l: Linear, x: Float32Array, rows: number): Float32Array {
  const ql = q.linears.get(l);
  if (!ql) throw new RangeError(`${l.name} is not a quantized linear of this model`);
  const xq = quantizeInput(q, ql, x, rows);
  return ql.hp ? intHPLinear(xq, ql.hp.matrix, ql.hp.quant, l.bias) : intDenseLinear(xq, ql.weight, l.bias);
}

/** Classifier logits [B, labels] of the integer model. */
export function quantizedForward(q: QuantizedBert, input: EncoderBatch): Float32Array {
  return referenceForward(
    q.model,
    input,
    (l, x, rows) => quantizedLinear(q, l, x, rows),
    q.attention === 'int8' ? intAttention : undefined,
  );
}
