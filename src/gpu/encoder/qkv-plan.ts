// How a layer's Q, K and V linears run: as one stacked linear (one dispatch, one [tokens, 3
// blocks] output the attention kernel reads in place) when all three are dense, or all three HP
// on the same tile grid; as three linears into three buffers otherwise (a mix of dense and HP).
import type { BertModel } from '../../core/model/bert-types';
import { tileGrid, type HPMatrix } from '../../core/formats/hp';
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

/** The zero rows 'auto' puts after stacked HP Q/K/V blocks whose rows would be a multiple of 64
 *  floats (TinyBERT at 32-row tiles: 960 -> 968): the q1c8 attention kernels read such rows 12-21 %
 *  slower (issue 19 fifth pass); with the pad the H200 ran B=32 L=128 HP 90 % attention in 0.186 ms
 *  (q1c8s2) instead of 0.198 (b128k32n4 on 960), for one more zero tile-row in the Q/K/V linear. */
export const QKV_AUTO_PAD = 8;

/** The zero rows 'auto' puts after three stacked blocks of `blockRows` rows: QKV_AUTO_PAD where they
 *  would be a multiple of 64 floats, else 0. */
export const autoQkvPad = (blockRows: number): number => ((3 * blockRows) % 64 === 0 ? QKV_AUTO_PAD : 0);

/** `hpPad`: zero rows after the stacked HP Q/K/V blocks (a row pitch of 3 blocks + hpPad floats);
 *  'auto': QKV_AUTO_PAD where 3 blocks are a multiple of 64 floats, else 0. */
export function planQkv(
  layer: BertModel['layers'][number],
  sparse: Map<string, HPMatrix>,
  hidden: number,
  hpPad: number | 'auto' = 0,
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
    // A block's rows (stackHPRows' blockRows) decide the automatic pad before stacking, once.
    const blockRows = tileGrid(hps[0]!).tileRows * hps[0]!.tr;
    const pad = hpPad !== 'auto' ? hpPad : autoQkvPad(blockRows);
    const stacked = stackHPRows(hps as HPMatrix[], pad);
    if (stacked) {
      const p = stacked.blockRows;
      return {
        mode: 'fused',
        fused: { kind: 'hp', hp: stacked.hp, bias: stackBias(biases, hidden, p, pad) },
        layout: { stride: 3 * p + pad, q: 0, k: p, v: 2 * p },
      };
    }
  }
  return { mode: 'separate', layout: separateQkv(hidden) };
}
