// How a layer's Q, K and V linears run: as one stacked linear (one dispatch, one [tokens, 3
// blocks] output the attention kernel reads in place) when all three are dense, or all three HP
// on the same tile grid; as three linears into three buffers otherwise (a mix of dense and HP).
import type { BertModel } from '../../core/model/bert-types';
import type { HPMatrix } from '../../core/formats/hp';
import { stackBias, stackHPRows } from '../../core/formats/hp-stack';
import { concatF32 } from '../kernel';
import { separateQkv, type QkvLayout } from './attention';

export type FusedQkv =
  | { kind: 'dense'; out: number; weight: Float32Array; bias: Float32Array }
  | { kind: 'hp'; hp: HPMatrix; bias: Float32Array };

export interface QkvPlan {
  mode: 'fused' | 'separate';
  fused?: FusedQkv;
  /** Where the attention kernel finds Q, K and V in the rows the linears write. */
  layout: QkvLayout;
}

/** `hpPad`: zero rows after the stacked HP Q/K/V blocks (a row pitch of 3 blocks + hpPad floats). */
export function planQkv(
  layer: BertModel['layers'][number],
  sparse: Map<string, HPMatrix>,
  hidden: number,
  hpPad = 0,
): QkvPlan {
  const parts = [layer.q, layer.k, layer.v];
  const hps = parts.map((l) => sparse.get(l.name));
  const biases = parts.map((l) => l.bias ?? new Float32Array(hidden));
  if (hps.every((h) => !h)) {
    const weight = concatF32(...parts.map((l) => l.weight));
    return {
      mode: 'fused',
      fused: { kind: 'dense', out: 3 * hidden, weight, bias: concatF32(...biases) },
      layout: { stride: 3 * hidden, q: 0, k: hidden, v: 2 * hidden },
    };
  }
  if (hps.every((h) => h)) {
    const stacked = stackHPRows(hps as HPMatrix[], hpPad);
    if (stacked) {
      const p = stacked.blockRows;
      return {
        mode: 'fused',
        fused: { kind: 'hp', hp: stacked.hp, bias: stackBias(biases, hidden, p, hpPad) },
        layout: { stride: 3 * p + hpPad, q: 0, k: p, v: 2 * p },
      };
    }
  }
  return { mode: 'separate', layout: separateQkv(hidden) };
}
