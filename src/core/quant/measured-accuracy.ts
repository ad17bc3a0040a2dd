// Measured accuracy of the integer model against f32 on the same sentences (hp-lab eval --quant,
// BENCHMARKS.md "int8"): what lets the device choice run FPGA designs in int8 with a measured
// accuracy instead of excluding them. Each record is one run on the shipped model's dev split.
import type { QuantBits } from './quantize';

export interface QuantAccuracyRecord {
  bits: QuantBits;
  /** What was quantized (dense, or the pruning configuration). */
  model: string;
  activations: 'dynamic' | 'static';
  f32: number;
  quant: number;
  /** Sentences. */
  n: number;
}

/** TinyBERT-4L (public/models), dev split, `npx hp-lab eval --quant int8 [...]`. */
export const MEASURED_QUANT_ACCURACY: readonly QuantAccuracyRecord[] = [
  { bits: 8, model: 'dense', activations: 'dynamic', f32: 0.834, quant: 0.836, n: 500 },
  { bits: 8, model: 'dense', activations: 'static', f32: 0.834, quant: 0.834, n: 500 },
  {
    bits: 8,
    model: 'HP 80 % 32x32, recovered (--recover lsq)',
    activations: 'dynamic',
    f32: 0.776,
    quant: 0.776,
    n: 500,
  },
  {
    bits: 8,
    model: 'HP 80 % 32x32, recovered (--recover lsq-dense)',
    activations: 'dynamic',
    f32: 0.814,
    quant: 0.814,
    n: 500,
  },
  { bits: 8, model: 'HP 50 % 32x32, one-shot', activations: 'dynamic', f32: 0.714, quant: 0.714, n: 500 },
];

/** The largest accuracy loss measured for `bits` (<= 0; a measured gain counts as 0), with the
 *  records it rests on; null when nothing was measured. */
export function quantPenalty(
  records: readonly QuantAccuracyRecord[],
  bits: QuantBits,
): { penalty: number; records: QuantAccuracyRecord[] } | null {
  const mine = records.filter((r) => r.bits === bits);
  if (mine.length === 0) return null;
  return { penalty: Math.min(0, ...mine.map((r) => r.quant - r.f32)), records: mine };
}
