// Run on my GPU's chart of where the GPU time goes: the kinds of both engines in the forward's
// order, 0 where an engine runs none of a kind, and each engine's reading.
import { describe, expect, it } from 'vitest';
import { OP_KINDS, type EncoderProfile, type OpKind } from '../../../src/gpu/encoder/op-profile';
import { breakdown, profileReading } from '../../../src/ui/panels/gpu/op-breakdown';

function profile(forwardMs: number, ops: [OpKind, number][], dispatches = 20): EncoderProfile {
  return {
    forward: { msMedian: forwardMs, msMin: forwardMs, samples: [forwardMs], timing: 'timestamp', repeatsPerSample: 1 },
    dispatches,
    ops: ops.map(([kind, ms]) => ({ kind, dispatches: 4, msMedian: ms, share: ms / forwardMs })),
    sumMs: ops.reduce((n, [, ms]) => n + ms, 0),
    timing: 'timestamp',
  };
}

describe('op breakdown', () => {
  const dense = profile(1.2, [
    ['embeddings', 0.01],
    ['qkv', 0.28],
    ['attention', 0.11],
    ['layernorm', 0.04],
    ['ffn1', 0.31],
    ['head', 0.01],
  ]);
  const hp = profile(0.39, [
    ['embeddings', 0.007],
    ['qkv', 0.047],
    ['attention', 0.1],
    ['ffn1', 0.062],
    ['tail', 0.012],
    ['head', 0.01],
  ]);

  it("lists every kind either engine runs, in the forward's order, 0 where one runs none", () => {
    const b = breakdown(dense, hp);
    expect(b.engines).toEqual(['dense linears', 'HP linears']);
    expect(b.kinds.map((k) => k.kind)).toEqual(['embeddings', 'qkv', 'attention', 'layernorm', 'ffn1', 'tail', 'head']);
    expect(b.kinds.find((k) => k.kind === 'layernorm')!.ms).toEqual([0.04, 0]);
    expect(b.kinds.find((k) => k.kind === 'tail')!.ms).toEqual([0, 0.012]);
    expect(b.kinds.find((k) => k.kind === 'qkv')!.label).toBe('Q/K/V');
  });

  it("follows op-profile.ts's kinds in order, whichever engine runs a kind", () => {
    const b = breakdown(
      profile(1, [['head', 0.1]]),
      profile(1, [
        ['tail', 0.1],
        ['head', 0.1],
      ]),
    );
    expect(b.kinds.map((k) => k.kind)).toEqual(['tail', 'head']);
    const all = breakdown(
      profile(
        1,
        OP_KINDS.map((k): [OpKind, number] => [k, 0.01]),
      ),
      null,
    );
    expect(all.kinds.map((k) => k.kind)).toEqual([...OP_KINDS]);
    // A kind keeps its colour whichever kinds a run has; no two kinds share one.
    expect(new Set(all.kinds.map((k) => k.colour)).size).toBe(OP_KINDS.length);
    expect(b.kinds.map((k) => k.colour)).toEqual(
      all.kinds.filter((k) => k.kind === 'tail' || k.kind === 'head').map((k) => k.colour),
    );
  });

  it('has one bar for a dense run', () => {
    const b = breakdown(dense, null);
    expect(b.engines).toEqual(['dense linears']);
    expect(b.kinds.every((k) => k.ms.length === 1)).toBe(true);
  });

  it("reads the largest kind's share of the forward and the kinds' sum", () => {
    expect(profileReading('HP linears', hp)).toBe(
      'HP linears: the forward 0.390 ms in 20 dispatches; its kinds timed on their own add up to 0.238 ms. ' +
        'The largest is attention: 26 %.',
    );
  });
});
