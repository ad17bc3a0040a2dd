// "Where the GPU time goes" of Run on my GPU: the forward's kinds of op, each timed on its own
// (gpu/encoder/op-profile.ts), turned into the chart's rows and a one-line reading of them.
import { OP_KINDS, type EncoderProfile, type OpKind } from '../../../gpu/encoder/op-profile';

const LABELS: Record<OpKind, string> = {
  embeddings: 'embeddings',
  transpose: 'x to columns',
  qkv: 'Q/K/V',
  attention: 'attention',
  'attn-out': 'attention output',
  layernorm: 'residual + LayerNorm',
  ffn1: 'FFN in (+ GELU)',
  ffn2: 'FFN out',
  gather: '[CLS] rows gathered',
  block: "a layer's output side",
  tail: 'last layer on [CLS] rows',
  head: 'pooler + classifier',
  prefetch: 'weights into the cache',
};

/** One colour a kind, by its place in OP_KINDS: the same in every run and chart. */
const COLOURS = [
  '#2f6fde',
  '#27a9b8',
  '#e8833a',
  '#3aa35b',
  '#c43c4e',
  '#8a5cc2',
  '#8c6d3b',
  '#d46fb4',
  '#b5b82e',
  '#f0b27a',
  '#8fb3f0',
  '#7a7f87',
  '#4d5b3a',
];

/** One kind's bar segment: its GPU time in each engine (0 where that engine runs none of it). */
export interface KindTimes {
  kind: OpKind;
  label: string;
  colour: string;
  ms: number[];
}

export interface Breakdown {
  /** The chart's bars, in this order. */
  engines: string[];
  kinds: KindTimes[];
}

/** The kinds either engine runs, in OP_KINDS's order (the forward's, embeddings to head). */
export function breakdown(dense: EncoderProfile, hp: EncoderProfile | null): Breakdown {
  const profiles = hp ? [dense, hp] : [dense];
  const order = OP_KINDS.filter((kind) => profiles.some((p) => p.ops.some((o) => o.kind === kind)));
  return {
    engines: hp ? ['dense linears', 'HP linears'] : ['dense linears'],
    kinds: order.map((kind) => ({
      kind,
      label: LABELS[kind],
      colour: COLOURS[OP_KINDS.indexOf(kind)],
      ms: profiles.map((p) => p.ops.find((o) => o.kind === kind)?.msMedian ?? 0),
    })),
  };
}

const ms = (x: number) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** What one engine's profile says: its largest kind's share, and the kinds' sum against the whole
 *  forward (what dispatch boundaries cost beyond the kinds' own times, or what overlaps). */
export function profileReading(name: string, p: EncoderProfile): string {
  const top = [...p.ops].sort((a, b) => b.msMedian - a.msMedian)[0];
  const forward = p.forward.msMedian;
  const share = top ? ` The largest is ${LABELS[top.kind]}: ${Math.round((100 * top.msMedian) / forward)} %.` : '';
  return (
    `${name}: the forward ${ms(forward)} ms in ${p.dispatches} dispatches; ` +
    `its kinds timed on their own add up to ${ms(p.sumMs)} ms.${share}`
  );
}
