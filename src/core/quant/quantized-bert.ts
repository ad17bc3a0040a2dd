// A BERT classifier with its 24 encoder linears in integer arithmetic (W8A8 or W16A16):
// weights per output channel, activations per token (dynamic) or with one calibrated range per
// linear input (static). Embeddings, LayerNorm, attention, GELU, pooler and classifier stay f32,
// as in integer BERT deployments that quantize the GEMMs. The forward pass is the plain-TS
// reference (core/model/reference-forward.ts) with the integer linears (and, as an option, the
// integer attention of int-attention.ts) swapped in, so its
// accuracy is the accuracy of the integer model, and the WGSL int8 kernels are tested against it.
import { prunableLinears, type BertModel, type Linear } from '../model/bert-types';
import { keptInputs, type HPMatrix } from '../formats/hp';
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
  /** Dynamic activations: the range each token's scale is taken over; default DEFAULT_INT8_SCALE. */
  scale?: Int8Scale;
}

export type AttentionQuant = 'f32' | 'int8';

/** Dynamic activations: each token's scale from the largest |x| of its whole row ('row'), or of the
 *  columns the next linear reads ('read': an HP linear's kept input columns, Q/K/V's together; the
 *  other columns get code 0, so a forward need not compute them), or that only at the inputs of the
 *  attention output and FFN-out ('read-out': where the forward skips columns; the LayerNorm outputs
 *  Q/K/V and FFN-in read are computed whole anyway). Dense linears read every column: the same codes
 *  any way. */
export const INT8_SCALES = ['row', 'read', 'read-out'] as const;
export type Int8Scale = (typeof INT8_SCALES)[number];
export const DEFAULT_INT8_SCALE: Int8Scale = 'row';

export interface QuantLinear {
  linear: Linear;
  weight: QuantizedRows;
  /** When the linear is HP-pruned: its HP arrays and their codes (same products, fewer of them). */
  hp?: { matrix: HPMatrix; quant: HPQuant };
  /** Static activations: the calibrated input range. */
  inputRange?: number;
  /** Dynamic activations with the 'read' scale: the input columns read (absent: all). */
  read?: Uint8Array;
}

export interface QuantizedBert {
  model: BertModel;
  bits: QuantBits;
  activations: ActivationQuant;
  attention: AttentionQuant;
  scale: Int8Scale;
  linears: Map<Linear, QuantLinear>;
}

/** Quantizes every prunable linear of `model` (already pruned, if it is). `hp` (by name) lets
 *  HP-pruned linears run from their HP arrays: the result is identical, the work smaller. */
export function quantizeBert(model: BertModel, opts: QuantOptions, hp?: Map<string, HPMatrix>): QuantizedBert {
  const attention = opts.attention ?? 'f32';
  if (attention === 'int8' && opts.bits !== 8) throw new RangeError('the int8 attention needs 8-bit quantization');
  const linears = new Map<Linear, QuantLinear>();
  const scale = opts.scale ?? DEFAULT_INT8_SCALE;
  const read =
    scale !== 'row' && opts.activations === 'dynamic' ? readColumns(model, hp, scale === 'read-out') : new Map();
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
      read: read.get(l.name),
    });
  }
  return { model, bits: opts.bits, activations: opts.activations, attention, scale, linears };
}

/** The input columns each HP linear reads (by name; absent: all): its kept columns, the union of the
 *  three for Q, K and V (one quantization of their shared input: the GPU stacks them). `outputsOnly`:
 *  the attention output's and FFN-out's alone (the 'read-out' scale). */
export function readColumns(
  model: BertModel,
  hp?: Map<string, HPMatrix>,
  outputsOnly = false,
): Map<string, Uint8Array> {
  const read = new Map<string, Uint8Array>();
  const set = (names: string[]) => {
    const kept = names.map((n) => hp?.get(n));
    if (kept.some((m) => !m)) return;
    const union = new Uint8Array(kept[0]!.in);
    for (const m of kept) keptInputs(m!).forEach((v, c) => (union[c] |= v));
    if (union.every((v) => v)) return;
    for (const n of names) read.set(n, union);
  };
  for (const layer of model.layers) {
    if (!outputsOnly) set([layer.q.name, layer.k.name, layer.v.name]);
    for (const l of outputsOnly ? [layer.attnOut, layer.ffnOut] : [layer.attnOut, layer.ffnIn, layer.ffnOut])
      set([l.name]);
  }
  return read;
}

/** The activation codes of one linear's input, as its mode says. */
export function quantizeInput(q: QuantizedBert, ql: QuantLinear, x: Float32Array, rows: number): QuantizedRows {
  const width = ql.linear.in;
  return q.activations === 'static'
    ? quantizeStatic(x, rows, width, ql.inputRange!, q.bits)
    : quantizeRows(x, rows, width, q.bits, ql.read);
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
