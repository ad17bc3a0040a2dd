// The GPU linear for each of the model's linears as the engine's options ask: HP where the sparse
// map has a matrix for it, dense otherwise; f32 or int8 (quantized here, once); on the tiles the
// options force, else chosen per call by the kernels; a layer's Q/K/V as one stacked linear where
// its plan says so (qkv-plan.ts). engine.ts builds them on each allocation.
import type { GpuCapabilities } from '../adapter';
import type { HPMatrix } from '../../core/formats/hp';
import type { EncoderLayer, Linear } from '../../core/model/bert-types';
import { quantizeHP, quantizeRows } from '../../core/quant';
import { createDenseLinear, createHPLinear, type GpuLinear } from '../kernels';
import { createInt8GpuLinear } from '../kernels/int8-gpu-linear';
import type { LiveOutputs } from '../kernels/linear-types';
import type { SplitK } from '../kernels/variant-rule';
import type { EncoderEngineOptions } from './engine-api';
import { qkvLive, type HPLiveMode } from './live-outputs';
import type { QkvPlan } from './qkv-plan';

/** What the linears depend on (engine.ts decides each from its options). */
export interface LinearSettings {
  device: GPUDevice;
  caps: GpuCapabilities;
  sparse: ReadonlyMap<string, HPMatrix>;
  hidden: number;
  heads: number;
  eps: number;
  int8: boolean;
  /** int8 with the 'read' scale: the int8 HP linears skip the outputs no later kernel reads. */
  int8Live: boolean;
  /** int8 'read' scales: the input columns each HP linear reads, by name. */
  reads: ReadonlyMap<string, Uint8Array>;
  /** Split-K of the dense output linears. */
  splitK: SplitK;
  /** Whether the dense linears get their deferred-LayerNorm halves. */
  denseDeferLn: boolean;
  hpLive: HPLiveMode;
  opts: Pick<EncoderEngineOptions, 'denseTile' | 'hpTile' | 'hpColumnTile' | 'hpLnTile' | 'weights'>;
}

export function engineLinears(settings: LinearSettings) {
  const { device, caps, sparse, hidden, heads, eps, int8, int8Live, reads, splitK, denseDeferLn, hpLive, opts } =
    settings;
  /** The int8 linear of a dense (out x in) weight or an HP matrix. */
  const int8Linear = (
    w: { weight: Float32Array; out: number; in: number } | HPMatrix,
    bias: Float32Array | undefined,
    tokens: number,
    gelu: boolean,
    label: string,
    read?: Uint8Array,
    live?: LiveOutputs,
  ): GpuLinear =>
    'values' in w
      ? createInt8GpuLinear(
          device,
          caps,
          { kind: 'hp', hp: w, quant: w.quant?.bits === 8 ? w.quant : quantizeHP(w, 8) },
          {
            tokens,
            bias,
            gelu,
            label: `${label} (hp int8)`,
            variant: opts.hpTile,
            read,
            live: int8Live ? live : undefined,
          },
        )
      : createInt8GpuLinear(
          device,
          caps,
          { kind: 'dense', weight: quantizeRows(w.weight, w.out, w.in, 8) },
          { tokens, bias, gelu, label: `${label} (int8)`, variant: opts.denseTile },
        );

  /** The forced dense tile of an in -> out linear (denseTile, whole or per shape). */
  const denseTileFor = (nIn: number, nOut: number): string | undefined => {
    const t = opts.denseTile;
    if (!t?.includes('=')) return t;
    const entry = t.split(',').find((e) => e.startsWith(`${nIn}x${nOut}=`));
    return entry?.slice(entry.indexOf('=') + 1);
  };

  /** `split`: the output feeds a residual + LayerNorm, which adds split-K slices; `live`: the outputs
   *  later kernels read (live-outputs.ts). */
  const makeLinear = (l: Linear, tokens: number, gelu: boolean, split = false, live?: LiveOutputs): GpuLinear => {
    const hp = sparse.get(l.name);
    if (int8) return int8Linear(hp ?? l, l.bias, tokens, gelu, l.name, reads.get(l.name), live);
    return hp
      ? createHPLinear(device, caps, {
          tokens,
          hp,
          bias: l.bias,
          gelu,
          tile: opts.hpTile,
          columnTile: opts.hpColumnTile,
          lnTile: opts.hpLnTile,
          weights: opts.weights,
          live,
          label: `${l.name} (hp)`,
        })
      : createDenseLinear(device, caps, {
          tokens,
          in: l.in,
          out: l.out,
          weight: l.weight,
          bias: l.bias,
          gelu,
          tile: denseTileFor(l.in, l.out),
          weights: l.in % 4 === 0 ? opts.weights : 'f32',
          splitK: split ? splitK : undefined,
          ...(denseDeferLn && l.in % 4 === 0 && l.out % 4 === 0 ? { deferLn: { eps } } : {}),
          label: l.name,
        });
  };

  /** A layer's Q/K/V linears as its plan says: one stacked linear (dense or HP), or three. */
  function qkvLinears(plan: QkvPlan, l: EncoderLayer, tokens: number): GpuLinear[] {
    const common = { tokens, gelu: false, weights: opts.weights };
    if (int8 && plan.fused)
      return [
        int8Linear(
          plan.fused.kind === 'hp' ? plan.fused.hp : { weight: plan.fused.weight, out: plan.fused.out, in: hidden },
          plan.fused.bias,
          tokens,
          false,
          'layer qkv',
          reads.get(l.q.name),
          plan.fused.kind === 'hp'
            ? qkvLive(plan.fused.hp.out, plan.layout, hidden, sparse.get(l.attnOut.name), hpLive, heads)
            : undefined,
        ),
      ];
    if (plan.fused?.kind === 'hp')
      return [
        createHPLinear(device, caps, {
          ...common,
          hp: plan.fused.hp,
          bias: plan.fused.bias,
          tile: opts.hpTile,
          columnTile: opts.hpColumnTile,
          // The Q/K outputs of the heads the attention skips are not computed either (f32 only, as the heads).
          live: qkvLive(plan.fused.hp.out, plan.layout, hidden, sparse.get(l.attnOut.name), hpLive, heads),
          label: `layer qkv (hp)`,
        }),
      ];
    if (plan.fused?.kind === 'dense') {
      const f = plan.fused;
      return [
        createDenseLinear(device, caps, {
          ...common,
          in: hidden,
          out: f.out,
          weight: f.weight,
          bias: f.bias,
          tile: denseTileFor(hidden, f.out),
          weights: hidden % 4 === 0 ? opts.weights : 'f32',
          ...(denseDeferLn && f.out % 4 === 0 ? { deferLn: { eps } } : {}),
          label: 'layer qkv',
        }),
      ];
    }
    return [makeLinear(l.q, tokens, false), makeLinear(l.k, tokens, false), makeLinear(l.v, tokens, false)];
  }
  return { makeLinear, qkvLinears };
}
