// The whole WGSL encoder engine (dense and HP-sparse linears) against the CPU reference forward
// on real WebGPU (Dawn + SwiftShader): tiny models, short padded batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../src/gpu/node-gpu';
import type { AcquiredGpu } from '../../src/gpu/adapter';
import { createEncoderEngine } from '../../src/gpu/encoder';
import { referenceForward } from '../../src/core/model/reference-forward';
import { prunableLinears, type BertModel } from '../../src/core/model/bert-types';
import { decodeHP, type HPMatrix } from '../../src/core/formats/hp';
import { pruneMatrix } from '../../src/core/pruning';
import { f16RoundArray } from '../../src/core/formats/f16';
import { randomBatch, randomBertModel } from '../helpers/random-bert-model';
import { quantizeBert, quantizedForward } from '../../src/core/quant';
import { withEmulatedSubgroupMatrix } from './subgroup-matrix-emulation';
import { createAddLayerNormColumnsKernel, subgroupLayerNormFits } from '../../src/gpu/encoder/row-ops';
import { liveHeads } from '../../src/gpu/encoder/live-outputs';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await nodeGpu();
});
afterAll(async () => {
  await gpu.device.queue.onSubmittedWorkDone();
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** HP-prunes every linear (magnitude, tiles tr x tc) and returns the matrices and the model
 *  whose dense weights are the pruned ones (what ORT / the reference see). */
function pruneAll(
  model: BertModel,
  sparsity: number,
  tr: number,
  tc: number,
): { sparse: Map<string, HPMatrix>; pruned: BertModel } {
  const sparse = new Map<string, HPMatrix>();
  for (const l of prunableLinears(model)) {
    const r = pruneMatrix(
      { name: l.name, out: l.out, in: l.in, weight: l.weight },
      { pattern: 'hp', sparsity, score: 'magnitude', tr, tc, split: 0.5 },
    );
    sparse.set(l.name, r.hp!);
  }
  const pruned: BertModel = {
    ...model,
    layers: model.layers.map((layer) => {
      const copy = { ...layer };
      for (const kind of ['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const)
        copy[kind] = { ...layer[kind], weight: decodeHP(sparse.get(layer[kind].name)!) };
      return copy;
    }),
  };
  return { sparse, pruned };
}

/** The integer model's logits with the integer attention too (quantizeBert's attention 'int8'). */
function intAttentionForward(
  model: BertModel,
  sparse: Map<string, HPMatrix>,
  batch: Parameters<typeof quantizedForward>[1],
): Float32Array {
  return quantizedForward(quantizeBert(model, { bits: 8, activations: 'dynamic', attention: 'int8' }, sparse), batch);
}

/** clsTail's calls [batch, seq, seed] (maxBatch 3, maxSeq 7): padded sequences, the [CLS] rows 7 apart,
 *  then 2 apart (more sequences than rows between them), then one sequence. */
const TAIL_CALLS = [
  [3, 7, 21],
  [3, 2, 22],
  [1, 5, 23],
] as const;

describe('encoder engine on WebGPU', () => {
  it('dense: logits equal the reference on a padded batch, head size 8, with pooler', async () => {
    const model = randomBertModel({}, 11);
    const b = randomBatch(model, 3, 7, 2);
    const engine = createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 3, maxSeq: 7 });
    expect(engine.qkvModes.every((m) => m === 'fused')).toBe(true);
    const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7);
    const ref = referenceForward(model, b);
    expect(maxAbsDiff(logits, ref)).toBeLessThan(1e-4);
    // Reused buffers: the same call again gives the same bits; BigInt64 inputs (the tokenizer's) work.
    const big = (a: Int32Array) => BigInt64Array.from(a, (v) => BigInt(v));
    expect(Array.from(await engine.run(big(b.inputIds), big(b.attentionMask), big(b.tokenTypeIds), 3, 7))).toEqual(
      Array.from(logits),
    );
    // Other tokens, same shape: the forward recorded ahead (during the last call) reads the new upload.
    const b2 = randomBatch(model, 3, 7, 5);
    const logits2 = await engine.run(b2.inputIds, b2.attentionMask, b2.tokenTypeIds, 3, 7);
    expect(maxAbsDiff(logits2, referenceForward(model, b2))).toBeLessThan(1e-4);
    engine.destroy();
    // One attention variant a layer ('/'): layer 0 on the h kernel, the rest on q1c8s2.
    const perLayer = createEncoderEngine(gpu.device, gpu.caps, model, {
      maxBatch: 3,
      maxSeq: 7,
      attention: 'h1w64s2c16t64/q1c8s2',
    });
    const mixed = await perLayer.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7);
    expect(maxAbsDiff(mixed, ref)).toBeLessThan(1e-4);
    perLayer.destroy();
    // The forward as many small command buffers (one dispatch each at first): the same bits, also
    // from the forward recorded ahead; destroyed while that recording is in flight, nothing breaks.
    const chunked = createEncoderEngine(gpu.device, gpu.caps, model, {
      maxBatch: 3,
      maxSeq: 7,
      submitChunks: [1, 1, 2],
    });
    expect(Array.from(await chunked.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7))).toEqual(
      Array.from(logits),
    );
    expect(Array.from(await chunked.run(b2.inputIds, b2.attentionMask, b2.tokenTypeIds, 3, 7))).toEqual(
      Array.from(logits2),
    );
    chunked.destroy();
    // Logits read back before the next forward is recorded (readbackFirst): calls made at once,
    // the last one on another shape, and one after an idle turn give the same bits; forwards
    // recorded ahead for the old shape are not used for the new one.
    const first = createEncoderEngine(gpu.device, gpu.caps, model, {
      maxBatch: 3,
      maxSeq: 7,
      submitChunks: [2],
      readbackFirst: true,
    });
    const run = (x: typeof b, batch = 3) =>
      first.run(x.inputIds, x.attentionMask, x.tokenTypeIds, batch, 7).then((l) => Array.from(l));
    const b3 = randomBatch(model, 2, 7, 9);
    const [r1, r2, r3, r4] = await Promise.all([run(b), run(b2), run(b), run(b3, 2)]);
    expect([r1, r2, r3]).toEqual([Array.from(logits), Array.from(logits2), Array.from(logits)]);
    expect(maxAbsDiff(Float32Array.from(r4), referenceForward(model, b3))).toBeLessThan(1e-4);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await run(b2)).toEqual(Array.from(logits2));
    first.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('HP-sparse linears at 50% and 90%: logits equal the reference on the pruned weights', async () => {
    const model = randomBertModel({ hidden: 32, heads: 4, ffn: 48 }, 12);
    const b = randomBatch(model, 2, 6, 3);
    for (const sparsity of [0.5, 0.9]) {
      const { sparse, pruned } = pruneAll(model, sparsity, 8, 8);
      // At 90 % the attention output reads no column of head 3 in layer 0 and of head 1 in layer 1:
      // the attention runs the others alone (the second through the live-head map).
      if (sparsity === 0.9)
        expect(model.layers.map((l) => liveHeads(sparse.get(l.attnOut.name), 4, 'rows')?.bits)).toEqual([7, 13]);
      // On columns: the Q/K/V and FFN-in outputs no kept column reads skipped (live-outputs.ts; 'auto',
      // the default, only from 2048 tokens): 90 % the tile-rows with none (V, FFN-in, the pad), 50 %
      // the stores too.
      const engine = createEncoderEngine(gpu.device, gpu.caps, model, {
        sparse,
        maxBatch: 2,
        maxSeq: 6,
        hpColumns: true,
        hpLive: sparsity === 0.5 ? 'mask' : 'rows',
      });
      expect(engine.sparseLinears).toHaveLength(12);
      expect(engine.qkvModes).toEqual(['fused', 'fused']);
      const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
      expect(maxAbsDiff(logits, referenceForward(pruned, b))).toBeLessThan(1e-4);
      // The pruning mattered: the dense model gives other logits.
      expect(maxAbsDiff(logits, referenceForward(model, b))).toBeGreaterThan(1e-3);
      engine.destroy();
    }
  });

  it('HP linears on X as columns (forced; transposes, FFN-in writing columns): the reference logits', async () => {
    const model = randomBertModel({ hidden: 32, heads: 2, ffn: 48 }, 13);
    const b = randomBatch(model, 3, 7, 4);
    const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
    // The subgroup LayerNorm writes the columns itself where it fits; the tree one leaves it to transposes.
    const layerNorm = subgroupLayerNormFits(gpu.device, gpu.caps) ? 'subgroup' : 'tree';
    expect(createAddLayerNormColumnsKernel(gpu.device, 32, gpu.caps) !== null).toBe(layerNorm === 'subgroup');
    for (const [ln, rows, qkvPad] of [
      [layerNorm, 4, 0],
      [layerNorm, 16, 4],
      ['tree', 4, 0],
    ] as const) {
      const e = createEncoderEngine(gpu.device, gpu.caps, model, {
        sparse,
        maxBatch: 2,
        maxSeq: 5,
        hpColumns: true,
        hpFuseLn: false, // the LayerNorms that write the columns (fused: below)
        layerNorm: ln,
        columnsLayerNormRows: rows,
        qkvPad,
      });
      const b1 = randomBatch(model, 2, 5, 6);
      expect(
        maxAbsDiff(await e.run(b1.inputIds, b1.attentionMask, b1.tokenTypeIds, 2, 5), referenceForward(pruned, b1)),
      ).toBeLessThan(1e-4);
      e.destroy();
    }
    // The HP attention output and FFN-out fused with their residual + LayerNorm (hp-columns-ln):
    // rows in (ragged 2 x 5 tokens), columns in, xt written or not, five tiles (SwiftShader's
    // compiler blows up on l32 with 16-column K-steps: K-steps of 4 there), one with X staged
    // unpadded ('/u'), one per shape (the attention output fused, FFN-out not: 'off'), two with
    // the K split (staged values; values in registers over 2-3 K-steps), and 'auto' (undefined:
    // at 10 tokens on columns, l4s8v: the K split 8 ways, values in registers).
    if (layerNorm === 'subgroup')
      for (const [tile, name, fused] of [
        ['l16/u', 'l16/u', 4],
        ['l16/k8', 'l16/k8', 4],
        ['32x32=l32/k4+48x32=off', 'l32/k4', 2],
        ['l8s4', 'l8s4', 4],
        ['l4s4v/k2', 'l4s4v/k2', 4],
        [undefined, 'l4s8v', 4],
      ] as const) {
        const e = createEncoderEngine(gpu.device, gpu.caps, model, {
          sparse,
          maxBatch: 2,
          maxSeq: 5,
          ...(tile ? { hpColumns: true, hpFuseLn: true, hpLnTile: tile } : {}),
        });
        expect(e.kernelVariants(10)[`columns+ln ${name}`]).toBe(fused);
        const b1 = randomBatch(model, 2, 5, 7);
        expect(
          maxAbsDiff(await e.run(b1.inputIds, b1.attentionMask, b1.tokenTypeIds, 2, 5), referenceForward(pruned, b1)),
        ).toBeLessThan(1e-4);
        e.destroy();
      }
    const engine = createEncoderEngine(gpu.device, gpu.caps, model, {
      sparse,
      maxBatch: 3,
      maxSeq: 7,
      hpColumns: true,
    });
    // Q/K/V and FFN-in on columns; the attention output (rows in) and FFN-out fused with their
    // LayerNorm where the subgroup LayerNorm fits (the default), else FFN-out on columns too.
    const kinds = engine.kernelVariants(21);
    const count = (prefix: string) =>
      Object.entries(kinds)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((n, [, c]) => n + c, 0);
    const fused = layerNorm === 'subgroup';
    expect([count('columns '), count('columns+ln ')]).toEqual(fused ? [4, 4] : [6, 0]);
    const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7);
    expect(maxAbsDiff(logits, referenceForward(pruned, b))).toBeLessThan(1e-4);
    // Fewer tokens than at creation (a pitch of 8 instead of 24).
    const b2 = randomBatch(model, 1, 7, 5);
    expect(
      maxAbsDiff(await engine.run(b2.inputIds, b2.attentionMask, b2.tokenTypeIds, 1, 7), referenceForward(pruned, b2)),
    ).toBeLessThan(1e-4);
    engine.destroy();
    // Rows, Q/K/V rows padded to 3 x 32 + 8 floats.
    const rows = createEncoderEngine(gpu.device, gpu.caps, model, {
      sparse,
      maxBatch: 3,
      maxSeq: 7,
      qkvPad: 8,
      hpColumns: false,
    });
    expect(Object.keys(rows.kernelVariants(21)).some((k) => k.startsWith('columns'))).toBe(false);
    const l3 = await rows.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7);
    expect(maxAbsDiff(l3, referenceForward(pruned, b))).toBeLessThan(1e-4);
    rows.destroy();
  });

  it('embeddings writing the first columns above 128 tokens: no transpose step, the reference logits', async () => {
    if (!subgroupLayerNormFits(gpu.device, gpu.caps)) return; // the subgroup form's requirement (else a transpose)
    const model = randomBertModel({ hidden: 32, heads: 2, ffn: 48, maxPositions: 64 }, 14);
    const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
    // 3 x 43 = 129 tokens: past the few-token form (a workgroup a token); 129 leaves the last row quad
    // and the last workgroup's 8 rows short.
    const b = randomBatch(model, 3, 43, 5);
    const profiles: Record<string, { dispatches: number; transposes: number }> = {};
    for (const form of ['subgroup', 'transpose'] as const) {
      const e = createEncoderEngine(gpu.device, gpu.caps, model, {
        sparse,
        maxBatch: 3,
        maxSeq: 43,
        hpColumns: true,
        hpFuseLn: false,
        clsTail: false,
        embeddingsColumns: form,
      });
      const logits = await e.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 43);
      expect(maxAbsDiff(logits, referenceForward(pruned, b)), form).toBeLessThan(1e-4);
      const p = await e.profile(3, 43, 1, 0);
      profiles[form] = {
        dispatches: p.dispatches,
        transposes: p.ops.find((x) => x.kind === 'transpose')?.dispatches ?? 0,
      };
      e.destroy();
    }
    // The transpose after the embeddings is the one step the subgroup form leaves out.
    expect(profiles.transpose.transposes).toBe(1);
    expect(profiles.subgroup).toEqual({ dispatches: profiles.transpose.dispatches - 1, transposes: 0 });
  });

  it('f16 weights: logits equal the reference on f16-rounded linear weights, dense and HP 50%', async () => {
    const model = randomBertModel({ hidden: 32, heads: 2, ffn: 48 }, 13);
    const b = randomBatch(model, 2, 6, 3);
    const rounded = (m: BertModel): BertModel => ({
      ...m,
      layers: m.layers.map((layer) => {
        const copy = { ...layer };
        for (const kind of ['q', 'k', 'v', 'attnOut', 'ffnIn', 'ffnOut'] as const)
          copy[kind] = { ...layer[kind], weight: f16RoundArray(layer[kind].weight) };
        return copy;
      }),
    });
    const dense = createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 2, maxSeq: 6, weights: 'f16' });
    const denseLogits = await dense.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    expect(maxAbsDiff(denseLogits, referenceForward(rounded(model), b))).toBeLessThan(1e-4);
    // The engine really stored f16: against the f32 weights the logits move further.
    expect(maxAbsDiff(denseLogits, referenceForward(model, b))).toBeGreaterThan(2e-4);
    dense.destroy();
    const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
    const hp = createEncoderEngine(gpu.device, gpu.caps, model, { sparse, maxBatch: 2, maxSeq: 6, weights: 'f16' });
    const hpLogits = await hp.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    expect(maxAbsDiff(hpLogits, referenceForward(rounded(pruned), b))).toBeLessThan(1e-4);
    hp.destroy();
  });

  it('split-K output linears: their K-slices added by the residual + LayerNorm, then as before unsplit', async () => {
    const model = randomBertModel({ hidden: 52, heads: 2, ffn: 64, labels: 3, layers: 2, maxPositions: 40 }, 17, false);
    const b = randomBatch(model, 2, 9, 3);
    const ref = referenceForward(model, b);
    // A forced tile: the few-token subgroup variant (what 18 tokens would get) never splits.
    for (const splitK of [2, 1] as const) {
      const engine = createEncoderEngine(gpu.device, gpu.caps, model, {
        maxBatch: 2,
        maxSeq: 9,
        denseTile: '32x64',
        splitK,
      });
      // Q/K/V (fused) and FFN-in run unsplit; the two output linears of each layer in slices.
      const variants = engine.kernelVariants(18);
      expect(variants).toEqual(splitK === 2 ? { '32x64': 4, '32x64 k/2': 4 } : { '32x64': 8 });
      expect(maxAbsDiff(await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9), ref)).toBeLessThan(1e-4);
      engine.destroy();
    }
  });

  it("head size 26 (TinyBERT's), no pooler, three labels; grows past its capacity", async () => {
    const model = randomBertModel({ hidden: 52, heads: 2, ffn: 64, labels: 3, layers: 1, maxPositions: 40 }, 13, false);
    const engine = createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 1, maxSeq: 4 });
    const small = randomBatch(model, 1, 4, 4);
    expect(
      maxAbsDiff(
        await engine.run(small.inputIds, small.attentionMask, null, 1, 4),
        referenceForward(model, { ...small, tokenTypeIds: undefined }),
      ),
    ).toBeLessThan(1e-4);
    const big = randomBatch(model, 3, 33, 5); // 33 keys: more than one key tile
    expect(
      maxAbsDiff(
        await engine.run(big.inputIds, big.attentionMask, big.tokenTypeIds, 3, 33),
        referenceForward(model, big),
      ),
    ).toBeLessThan(1e-4);
    engine.destroy();
  });

  it(
    'HP Q/K/V stacked on padded tile-rows (hidden 52, tiles 8: blocks of 56), ' +
      'and a mixed layer run apart; profile',
    async () => {
      const model = randomBertModel({ hidden: 52, heads: 2, ffn: 64, layers: 2, maxPositions: 40 }, 15);
      const b = randomBatch(model, 2, 9, 6);
      const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
      // Layer 1: only Q is HP (K and V dense with their pruned values): its Q/K/V cannot be stacked.
      for (const kind of ['k', 'v'] as const) sparse.delete(model.layers[1][kind].name);
      const engine = createEncoderEngine(gpu.device, gpu.caps, pruned, { sparse, maxBatch: 2, maxSeq: 9 });
      expect(engine.qkvModes).toEqual(['fused', 'separate']);
      expect(
        maxAbsDiff(await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9), referenceForward(pruned, b)),
      ).toBeLessThan(1e-4);
      const p = await engine.profile(2, 9, 1, 0, {
        perDispatch: true,
        prefix: true,
        pairs: true,
        coldBytes: 2 ** 20,
      });
      // 18 tokens: on columns (the embeddings write them), the output linears fused with their
      // LayerNorm, where that runs; the last layer's on the [CLS] rows in one dispatch (tail).
      expect(p.ops.map((o) => o.kind)).toEqual(
        subgroupLayerNormFits(gpu.device, gpu.caps)
          ? ['embeddings', 'qkv', 'attention', 'attn-out', 'ffn1', 'ffn2', 'tail', 'head']
          : ['embeddings', 'qkv', 'attention', 'attn-out', 'layernorm', 'ffn1', 'ffn2', 'tail', 'head'],
      );
      expect(p.ops.find((o) => o.kind === 'qkv')!.dispatches).toBe(4); // 1 fused + 3 apart
      expect(p.dispatches).toBe(p.ops.reduce((n, o) => n + o.dispatches, 0));
      expect(p.ops.every((o) => o.msMedian > 0) && p.forward.msMedian > 0).toBe(true);
      // Each dispatch on its own, in the forward's order: the embeddings first, the head last, as many
      // of each kind as the kinds count.
      const each = p.perDispatch!;
      expect(each).toHaveLength(p.dispatches);
      expect([each[0].kind, each[each.length - 1].kind]).toEqual(['embeddings', 'head']);
      for (const o of p.ops)
        expect(
          each.filter((d) => d.kind === o.kind),
          o.kind,
        ).toHaveLength(o.dispatches);
      expect(each.every((d) => d.msMedian > 0)).toBe(true);
      // Each dispatch's increment over the ones before it: one a dispatch, in the same order.
      expect(p.inPlace!.map((d) => d.kind)).toEqual(each.map((d) => d.kind));
      expect(p.inPlace!.reduce((n, d) => n + d.msMedian, 0)).toBeGreaterThan(0);
      // Each dispatch after the one before it, less that one: one a dispatch, in order, the first its own.
      expect(p.afterPrevious!.map((d) => d.kind)).toEqual(each.map((d) => d.kind));
      expect(p.afterPrevious![0].msMedian).toBe(each[0].msMedian);
      // Each dispatch after a 1 MiB read of another buffer, less that read: one a dispatch, in order.
      expect(p.coldBytes).toBe(2 ** 20);
      expect(p.cold!.map((d) => d.kind)).toEqual(each.map((d) => d.kind));
      expect(p.cold!.every((d) => Number.isFinite(d.msMedian))).toBe(true);
      engine.destroy();
    },
  );

  it('tailPrefetch: tail and head weights read before the last attention (HP, dense), same logits', async () => {
    const model = randomBertModel({ hidden: 52, heads: 2, ffn: 64, layers: 2, maxPositions: 40 }, 15);
    const b = randomBatch(model, 2, 9, 6);
    const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
    // HP: the whole tail's own copy of its weights; dense: the last layer's linears'.
    for (const opts of [
      { sparse, maxBatch: 2, maxSeq: 9 },
      { maxBatch: 2, maxSeq: 9 },
    ]) {
      const plain = createEncoderEngine(gpu.device, gpu.caps, pruned, opts);
      const fetched = createEncoderEngine(gpu.device, gpu.caps, pruned, { ...opts, tailPrefetch: true });
      const logits = (e: typeof plain) => e.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9);
      expect(await logits(fetched)).toEqual(await logits(plain));
      const kinds = (await fetched.profile(2, 9, 1, 0, { perDispatch: true })).perDispatch!.map((d) => d.kind);
      const plainKinds = (await plain.profile(2, 9, 1, 0, { perDispatch: true })).perDispatch!.map((d) => d.kind);
      // One dispatch more, right before the last layer's attention (the tail runs here: whole where HP).
      if (opts.sparse) expect(plainKinds).toContain('tail');
      expect(kinds.filter((k) => k === 'prefetch')).toHaveLength(1);
      expect(kinds.indexOf('prefetch')).toBe(kinds.lastIndexOf('attention') - 1);
      expect(kinds.filter((k) => k !== 'prefetch')).toEqual(plainKinds);
      plain.destroy();
      fetched.destroy();
    }
  });

  it(
    'attention-output and FFN-output linears (dense and HP) ' + 'fused with residual + LayerNorm, fewer dispatches',
    async () => {
      const model = randomBertModel({ hidden: 52, heads: 2, ffn: 64, layers: 2, maxPositions: 40 }, 16);
      const b = randomBatch(model, 2, 9, 7);
      const dense = createEncoderEngine(gpu.device, gpu.caps, model, {
        maxBatch: 2,
        maxSeq: 9,
        fuseAddLn: true,
        clsTail: false,
      });
      expect(dense.fusedAddLn).toBe(4);
      expect(
        maxAbsDiff(await dense.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9), referenceForward(model, b)),
      ).toBeLessThan(1e-4);
      const p = await dense.profile(2, 9, 2, 0);
      expect(p.dispatches).toBe(1 + 2 * 5 + 1); // embeddings, per layer qkv/attention/out+ln/ffn1/ffn2+ln, head
      expect(p.ops.some((o) => o.kind === 'layernorm')).toBe(false);
      dense.destroy();
      // The LayerNorms but the last deferred to the linear after each: every dense linear on a
      // 32-wide tile, so a row's statistics come in two slots (52 = 32 + 20 outputs).
      const deferred = createEncoderEngine(gpu.device, gpu.caps, model, {
        maxBatch: 2,
        maxSeq: 9,
        denseTile: '32x32/4x4/2d',
        denseDeferLn: true,
      });
      expect(
        maxAbsDiff(await deferred.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9), referenceForward(model, b)),
      ).toBeLessThan(1e-4);
      const tile = '32x32/4x4/2d';
      expect(deferred.kernelVariants(18)).toEqual({ [tile]: 2, [`${tile} +stats`]: 3, [`${tile} +norm`]: 3 });
      deferred.destroy();
      // HP at 50% except layer 0's attention output, which runs dense: fused either way.
      const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
      sparse.delete(model.layers[0].attnOut.name);
      const mixed = createEncoderEngine(gpu.device, gpu.caps, pruned, {
        sparse,
        maxBatch: 2,
        maxSeq: 9,
        fuseAddLn: true,
      });
      expect(mixed.fusedAddLn).toBe(4);
      expect(
        maxAbsDiff(await mixed.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 9), referenceForward(pruned, b)),
      ).toBeLessThan(1e-4);
      mixed.destroy();
    },
  );

  it('the last layer on the [CLS] rows alone (clsTail): dense, HP columns/rows, fused, [CLS] attention', async () => {
    const model = randomBertModel({ hidden: 32, heads: 4, ffn: 48 }, 17);
    const { sparse, pruned } = pruneAll(model, 0.9, 8, 8);
    const half = pruneAll(model, 0.5, 8, 8);
    const cases = [
      // The last layer's attention over every query (clsAttention false, the form before).
      { name: 'dense, every query', m: model, o: { clsAttention: false } },
      { name: 'dense fused', m: model, o: { fuseAddLn: true } },
      {
        name: 'hp columns, every query',
        m: pruned,
        o: { sparse, hpColumns: true, hpLive: 'rows' as const, clsAttention: false },
      },
      { name: 'hp rows', m: pruned, o: { sparse, hpColumns: false } },
      // The default: the last layer's attention for the [CLS] queries alone (attention-cls.ts), the
      // heads the attention output keeps none of skipped too (hpLive 'rows' maps them at every batch).
      { name: 'dense, [CLS] attention', m: model, o: {} },
      { name: 'hp columns, [CLS] attention', m: pruned, o: { sparse, hpColumns: true, hpLive: 'rows' as const } },
      // The form before: the tail's HP output linears fused with their LayerNorm, a gather.
      {
        name: 'hp columns, fused, gather',
        m: pruned,
        o: { sparse, hpColumns: true, clsTailLinears: 'fused' as const, clsCompact: false },
      },
      // The tail's HP output linears as K splits (clsTailLinears 'split'): 3 kept columns a split
      // leaves a short last split; 1 the most splits; 64 one split (no partial sums). The last
      // LayerNorm in the head (tailHeadLn, the default) or apart.
      ...[3, 1, 64].map((kc) => ({
        name: `hp columns, split ${kc}`,
        m: pruned,
        o: { sparse, hpColumns: true, hpLive: 'rows' as const, clsTailLinears: 'split' as const, tailSplitKc: kc },
      })),
      {
        name: 'hp columns, split 3, LayerNorm apart',
        m: pruned,
        o: { sparse, hpColumns: true, clsTailLinears: 'split' as const, tailSplitKc: 3, tailHeadLn: false },
      },
      // The [CLS] attention writing the tail's compact rows itself (clsCompact: no gather).
      { name: 'dense, compact', m: model, o: { clsCompact: true } },
      {
        name: 'hp columns, split, compact',
        m: pruned,
        o: { sparse, hpColumns: true, hpLive: 'rows' as const, clsTailLinears: 'split' as const, clsCompact: true },
      },
      {
        name: 'hp columns unfused, split',
        m: pruned,
        o: { sparse, hpColumns: true, hpFuseLn: false, clsTailLinears: 'split' as const, tailSplitKc: 2 },
      },
      // The tail's output linears in one dispatch (tail-hp.ts), FFN's 6 tile-rows in 1, 2, 4 (short
      // last slice), 6 slices and the default (as many as there are tile-rows here).
      ...[1, 2, 4, 6, undefined].map((slices) => ({
        name: `hp columns, whole ${slices ?? 'default'}`,
        m: pruned,
        o: { sparse, hpColumns: true, hpLive: 'rows' as const, clsTailLinears: 'whole' as const, tailSlices: slices },
      })),
      // At 50 % a tile-row keeps enough columns to split them between threads (4 parts of ~4), which
      // 2 a load step (tailUnroll) load in steps, 8 (the default) one by one.
      ...[
        [1, 2],
        [3, 2],
        [3, undefined],
      ].map(([slices, unroll]) => ({
        name: `hp columns 50 %, whole ${slices} unroll ${unroll ?? 'default'}`,
        m: half.pruned,
        o: {
          sparse: half.sparse,
          hpColumns: true,
          clsTailLinears: 'whole' as const,
          tailSlices: slices,
          tailUnroll: unroll,
        },
      })),
    ];
    for (const { name, m, o } of cases) {
      const engine = createEncoderEngine(gpu.device, gpu.caps, m, { ...o, maxBatch: 3, maxSeq: 7, clsTail: true });
      for (const [batch, seq, seed] of TAIL_CALLS) {
        const b = randomBatch(model, batch, seq, seed);
        const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, batch, seq);
        expect(maxAbsDiff(logits, referenceForward(m, b)), `${name} ${batch}x${seq}`).toBeLessThan(1e-4);
      }
      if (name === 'hp columns, fused, gather') {
        const p = await engine.profile(3, 7, 1, 0);
        expect(p.ops.find((x) => x.kind === 'gather')?.dispatches).toBe(1);
      }
      // The [CLS] attention writes the tail's rows (clsCompact, the default): no gather.
      if (name.endsWith('compact') || name === 'hp columns, [CLS] attention') {
        const p = await engine.profile(3, 7, 1, 0);
        expect(p.ops.some((x) => x.kind === 'gather')).toBe(false);
      }
      if (name.includes(', whole')) {
        // One dispatch after the [CLS] attention and before the head: no LayerNorm, FFN or output
        // linear of the last layer on its own (on a hardware adapter layer 0's output side as the
        // same kernel, rowsBlock 'auto', with its LayerNorm: 21 tokens).
        const p = await engine.profile(3, 7, 1, 0);
        const count = (kind: string) => p.ops.find((x) => x.kind === kind)?.dispatches ?? 0;
        const kinds = ['tail', 'block', 'attn-out', 'ffn1', 'ffn2', 'layernorm'];
        expect(kinds.map(count)).toEqual(gpu.caps.isFallbackAdapter ? [1, 0, 1, 1, 1, 0] : [1, 1, 0, 0, 0, 1]);
        // The tail kernel's own copy of the last layer's output-side weights counts in weightBytes
        // (against the same engine with the tail's linears as K splits, which run on the linears' buffers).
        const sp = (o as { sparse: Map<string, HPMatrix> }).sparse;
        const split = createEncoderEngine(gpu.device, gpu.caps, m, {
          ...o,
          clsTailLinears: 'split',
          tailSlices: undefined,
          tailUnroll: undefined,
          maxBatch: 3,
          maxSeq: 7,
        });
        const last = m.layers[m.layers.length - 1];
        const copy = [last.attnOut, last.ffnIn, last.ffnOut].reduce((n, l) => n + sp.get(l.name)!.values.length * 4, 0);
        expect(engine.weightBytes - split.weightBytes, name).toBeGreaterThanOrEqual(copy);
        split.destroy();
      }
      if (name.startsWith('hp columns, split 3')) {
        // The tail's two LayerNorms run apart (one a layer before it stays fused in its linear), or
        // the first apart and the last in the head.
        const p = await engine.profile(3, 7, 1, 0);
        expect(p.ops.find((x) => x.kind === 'layernorm')?.dispatches).toBe(name.endsWith('apart') ? 2 : 1);
      }
      engine.destroy();
    }
    // 'auto' (the default): every call of sequences longer than 1 where the last FFN-in is dense or the
    // tail's HP linears run whole (the default), from 2048 tokens where they run as K splits (these
    // profiles time nothing: SwiftShader).
    const gathers = async (m: BertModel, o: object, batch: number, seq: number) => {
      // With the gather (clsCompact off) its dispatch tells whether the tail ran.
      const e = createEncoderEngine(gpu.device, gpu.caps, m, { ...o, maxBatch: batch, maxSeq: seq, clsCompact: false });
      const p = await e.profile(batch, seq, 1, 0);
      e.destroy();
      return p.ops.some((x) => x.kind === 'gather');
    };
    const small = randomBertModel({ hidden: 16, heads: 2, ffn: 16, layers: 1 }, 18);
    const hp = pruneAll(small, 0.9, 8, 8);
    expect(await gathers(small, {}, 3, 1)).toBe(false);
    expect(await gathers(small, {}, 1, 7)).toBe(true);
    expect(await gathers(hp.pruned, { sparse: hp.sparse }, 1, 7)).toBe(true);
    const split = { sparse: hp.sparse, clsTailLinears: 'split' as const };
    expect(await gathers(hp.pruned, split, 63, 32)).toBe(false);
    expect(await gathers(hp.pruned, split, 64, 32)).toBe(true);
  });

  it("the earlier layers' output sides as the tail's kernel on every row (rowsBlock): the reference", async () => {
    const model = randomBertModel({ hidden: 32, heads: 4, ffn: 48, layers: 3 }, 19);
    for (const sparsity of [0.9, 0.5]) {
      const { sparse, pruned } = pruneAll(model, sparsity, 8, 8);
      for (const rowsBlock of [true, false]) {
        const o = { sparse, hpColumns: true, rowsBlock, maxBatch: 3, maxSeq: 7 };
        const engine = createEncoderEngine(gpu.device, gpu.caps, pruned, o);
        for (const [batch, seq, seed] of TAIL_CALLS) {
          const b = randomBatch(model, batch, seq, seed);
          const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, batch, seq);
          const name = `${sparsity} rowsBlock ${rowsBlock} ${batch}x${seq}`;
          expect(maxAbsDiff(logits, referenceForward(pruned, b)), name).toBeLessThan(1e-4);
        }
        // Two blocks (layers 0 and 1: x -> x2 -> x, the last layer's rows copied from x), each with its
        // residual + LayerNorm; no output linear of those layers on its own.
        const p = await engine.profile(3, 7, 1, 0);
        const count = (kind: string) => p.ops.find((x) => x.kind === kind)?.dispatches ?? 0;
        expect([count('block'), count('attn-out'), count('ffn1'), count('ffn2'), count('tail')]).toEqual(
          rowsBlock ? [2, 0, 0, 0, 1] : [0, 2, 2, 2, 1],
        );
        engine.destroy();
      }
    }
    // 'auto' (hpColumns too) on a hardware adapter (its caps say so here): 150 tokens run the blocks on
    // columns; one slice a row (tailSlices). On a software adapter 'auto' leaves them off.
    const { sparse: s9, pruned: p9 } = pruneAll(model, 0.9, 8, 8);
    const hardware = { ...gpu.caps, isFallbackAdapter: false };
    const software = createEncoderEngine(gpu.device, { ...gpu.caps, isFallbackAdapter: true }, p9, {
      sparse: s9,
      maxBatch: 5,
      maxSeq: 30,
    });
    expect((await software.profile(5, 30, 1, 0)).ops.some((x) => x.kind === 'block')).toBe(false);
    // Nor are the blocks built there: the hardware engine holds their copies of layers 0-1's output-side weights.
    const onHardware = createEncoderEngine(gpu.device, hardware, p9, { sparse: s9, maxBatch: 5, maxSeq: 30 });
    const blockCopies = p9.layers
      .slice(0, -1)
      .flatMap((l) => [l.attnOut, l.ffnIn, l.ffnOut])
      .reduce((n, l) => n + s9.get(l.name)!.values.length * 4, 0);
    expect(onHardware.weightBytes - software.weightBytes).toBeGreaterThanOrEqual(blockCopies);
    onHardware.destroy();
    software.destroy();
    for (const tailSlices of [undefined, 1]) {
      const auto = createEncoderEngine(gpu.device, hardware, p9, { sparse: s9, tailSlices, maxBatch: 5, maxSeq: 30 });
      const big = randomBatch(model, 5, 30, 25);
      const out = await auto.run(big.inputIds, big.attentionMask, big.tokenTypeIds, 5, 30);
      expect(maxAbsDiff(out, referenceForward(p9, big)), `150 tokens, slices ${tailSlices}`).toBeLessThan(1e-4);
      expect((await auto.profile(5, 30, 1, 0)).ops.find((x) => x.kind === 'block')?.dispatches).toBe(2);
      auto.destroy();
    }
    // An even number of blocks (2 layers: one block, the last layer's rows copied from x2).
    const two = randomBertModel({ hidden: 32, heads: 4, ffn: 48, layers: 2 }, 20);
    const { sparse, pruned } = pruneAll(two, 0.5, 8, 8);
    const engine = createEncoderEngine(gpu.device, hardware, pruned, {
      sparse,
      hpColumns: true,
      maxBatch: 2,
      maxSeq: 5,
    });
    const b = randomBatch(two, 2, 5, 24);
    const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 5);
    expect(maxAbsDiff(logits, referenceForward(pruned, b))).toBeLessThan(1e-4);
    expect((await engine.profile(2, 5, 1, 0)).ops.find((x) => x.kind === 'block')?.dispatches).toBe(1);
    engine.destroy();
  });

  it('int8 (W8A8, dense and HP 50%): logits match the CPU integer model, not the f32 one', async () => {
    const model = randomBertModel({}, 15);
    const b = randomBatch(model, 2, 6, 4);
    const dense = createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 2, maxSeq: 6, quant: 'int8' });
    const logits = await dense.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    // The residual + LayerNorms before FFN-in (every layer) and Q/K/V (all but the first) write
    // their codes (as rows for the dense kernels), where the subgroup LayerNorm runs.
    const layers = model.layers.length;
    const fusedLn = dense.layerNorm === 'subgroup' ? 2 * layers - 1 : 0;
    expect(dense.int8LayerNorms()).toEqual({ rows: fusedLn, columns: 0, fused: 0 });
    dense.destroy();
    const int8Ref = quantizedForward(quantizeBert(model, { bits: 8, activations: 'dynamic' }), b);
    const f32Ref = referenceForward(model, b);
    // The linears are bit-exact; attention, GELU and LayerNorm are f32 on both sides with
    // slightly different rounding (1.6e-7 here, against 1.1e-2 between int8 and f32).
    expect(maxAbsDiff(logits, int8Ref)).toBeLessThan(1e-4);
    expect(maxAbsDiff(int8Ref, f32Ref)).toBeGreaterThan(1e-4); // int8 is measurably not f32 here
    const { sparse, pruned } = pruneAll(model, 0.5, 8, 8);
    // Stacked Q/K/V rows padded (3 x 24 + 4: a part-filled zero tile-row in the int8 Q/K/V linear).
    const hp = createEncoderEngine(gpu.device, gpu.caps, pruned, {
      sparse,
      maxBatch: 2,
      maxSeq: 6,
      quant: 'int8',
      qkvPad: 4,
      int8FuseLn: true,
    });
    const hpLogits = await hp.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    // Automatic HP kernels: X as columns (the quantizer writes them so) where each code of X is
    // gathered twice or more, the byte gather elsewhere (autoHpVariant).
    const kinds = Object.keys(hp.kernelVariants(12)).join(' ');
    expect(kinds).toMatch(/int8 dot4-hp-\d+ux/);
    // Asked for: the output linears fused with their quantizer, residual + LayerNorm and the next
    // linear's codes (int8-hp-ln), every LayerNorm inside them.
    const fusedHp = dense.layerNorm === 'subgroup' ? 2 * layers : 0;
    expect(hp.int8LayerNorms()).toEqual({ rows: 0, columns: 0, fused: fusedHp });
    expect(hp.kernelVariants(12)['int8 hp+ln l16w']).toBe(fusedHp || undefined);
    hp.destroy();
    const hpRef = quantizedForward(quantizeBert(pruned, { bits: 8, activations: 'dynamic' }, sparse), b);
    expect(maxAbsDiff(hpLogits, hpRef)).toBeLessThan(1e-4);
    expect(maxAbsDiff(hpRef, referenceForward(pruned, b))).toBeGreaterThan(1e-4);
    expect(() =>
      createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 1, maxSeq: 4, quant: 'int8', fuseAddLn: true }),
    ).toThrow(/unfused/);
    // The attention in integer arithmetic too: the integer model with attention 'int8'.
    const att = createEncoderEngine(gpu.device, gpu.caps, pruned, {
      sparse,
      maxBatch: 2,
      maxSeq: 6,
      quant: 'int8',
      int8Attention: true,
    });
    const attLogits = await att.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    att.destroy();
    const attRef = intAttentionForward(pruned, sparse, b);
    expect(maxAbsDiff(attLogits, attRef)).toBeLessThan(1e-4);
    expect(maxAbsDiff(attRef, hpRef)).toBeGreaterThan(1e-4);
  }, 120_000);

  it('int8 with the last layer on the [CLS] rows (clsTail): the CPU integer model, dense and HP', async () => {
    const model = randomBertModel({ hidden: 32, heads: 4, ffn: 48 }, 19);
    const hp50 = pruneAll(model, 0.5, 8, 8);
    const hp90 = pruneAll(model, 0.9, 8, 8);
    const int8 = { quant: 'int8' as const, maxBatch: 3, maxSeq: 7 };
    const cases = [
      // The [CLS] attention by default; every query (clsAttention false) gives every row's bits.
      { name: 'dense, [CLS] attention', m: model, o: {} },
      { name: 'dense, every query', m: model, o: { clsAttention: false } },
      { name: 'hp 50 % unfused', m: hp50.pruned, o: { sparse: hp50.sparse, int8FuseLn: false } },
      { name: 'hp 90 % fused', m: hp90.pruned, o: { sparse: hp90.sparse, int8FuseLn: true } },
      // The LayerNorms apart from the codes (each linear quantizes its input).
      {
        name: 'hp 90 % unfused, quantizers apart, every query',
        m: hp90.pruned,
        o: { sparse: hp90.sparse, int8FuseLn: false, int8LayerNorm: false, clsAttention: false },
      },
      {
        name: 'hp 50 % fused, integer attention',
        m: hp50.pruned,
        o: { sparse: hp50.sparse, int8FuseLn: true, int8Attention: true },
      },
    ];
    for (const { name, m, o } of cases) {
      const sparse = 'sparse' in o ? o.sparse : undefined;
      const attention = 'int8Attention' in o ? ('int8' as const) : undefined;
      // The [CLS] attention runs unless turned off or the attention is the integer one.
      const clsAttention = !('clsAttention' in o && o.clsAttention === false) && !attention;
      const q = quantizeBert(m, { bits: 8, activations: 'dynamic', ...(attention ? { attention } : {}) }, sparse);
      const on = createEncoderEngine(gpu.device, gpu.caps, m, { ...o, ...int8, clsTail: true });
      const off = createEncoderEngine(gpu.device, gpu.caps, m, { ...o, ...int8, clsTail: false });
      for (const [batch, seq, seed] of TAIL_CALLS) {
        const b = randomBatch(m, batch, seq, seed);
        const logits = await on.run(b.inputIds, b.attentionMask, b.tokenTypeIds, batch, seq);
        const all = await off.run(b.inputIds, b.attentionMask, b.tokenTypeIds, batch, seq);
        expect(maxAbsDiff(logits, quantizedForward(q, b)), `${name} ${batch}x${seq}`).toBeLessThan(1e-4);
        // The same kernels on the same rows: every row's forward gives the [CLS] rows' logits bit for
        // bit, but for the [CLS] attention's f32 rounding where it runs (not with the integer one).
        const exact = !clsAttention;
        expect(maxAbsDiff(logits, all), `${name} ${batch}x${seq} against every row`).toBeLessThan(exact ? 1e-12 : 1e-6);
      }
      const p = await on.profile(3, 7, 1, 0);
      // The [CLS] attention writes the tail's rows itself (clsCompact, the default); else a gather.
      expect(p.ops.find((x) => x.kind === 'gather')?.dispatches ?? 0, name).toBe(clsAttention ? 0 : 1);
      // Fused: both output linears where FFN-in reads its codes as columns (50 %), FFN-out alone at 90 %.
      if ('int8FuseLn' in o && o.int8FuseLn)
        expect(on.int8LayerNorms().fused, name).toBe(o.sparse === hp50.sparse ? 4 : 1);
      on.destroy();
      off.destroy();
    }
  }, 300_000);

  it('int8, read scale: the CPU integer model with it, dead heads and tile-rows skipped; dense unchanged', async () => {
    const model = randomBertModel({ hidden: 32, heads: 4, ffn: 48 }, 12);
    const { sparse, pruned } = pruneAll(model, 0.9, 8, 8); // heads 3 (layer 0) and 1 (layer 1) read by nothing
    const int8 = {
      quant: 'int8' as const,
      maxBatch: 3,
      maxSeq: 7,
      hpLive: 'rows' as const,
    };
    const refs = {
      read: quantizeBert(pruned, { bits: 8, activations: 'dynamic', scale: 'read' }, sparse),
      'read-out': quantizeBert(pruned, { bits: 8, activations: 'dynamic', scale: 'read-out' }, sparse),
    };
    const rowRef = quantizeBert(pruned, { bits: 8, activations: 'dynamic', scale: 'row' }, sparse);
    // 'read-out': the read scale at the attention output's and FFN-out's inputs alone.
    const cases = [
      { name: 'fused', int8Scale: 'read', o: { int8FuseLn: true } },
      { name: 'unfused', int8Scale: 'read', o: { int8FuseLn: false } },
      {
        name: 'quantizers apart, [CLS] tail',
        int8Scale: 'read',
        o: { int8FuseLn: false, int8LayerNorm: false, clsTail: true },
      },
      { name: 'fused, [CLS] tail', int8Scale: 'read', o: { int8FuseLn: true, clsTail: true } },
      { name: 'read-out, fused', int8Scale: 'read-out', o: { int8FuseLn: true } },
      { name: 'read-out, unfused, [CLS] tail', int8Scale: 'read-out', o: { int8FuseLn: false, clsTail: true } },
    ] as const;
    for (const { name, int8Scale, o } of cases) {
      const ref = refs[int8Scale];
      const engine = createEncoderEngine(gpu.device, gpu.caps, pruned, { ...int8, int8Scale, ...o, sparse });
      // FFN-in and the stacked Q/K/V on their live tile-rows alone.
      expect(Object.keys(engine.kernelVariants(12)).join(' '), name).toMatch(/-live/);
      for (const [batch, seq, seed] of [
        [3, 7, 1],
        [2, 5, 2],
      ]) {
        const b = randomBatch(model, batch, seq, seed);
        const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, batch, seq);
        const want = quantizedForward(ref, b);
        expect(maxAbsDiff(logits, want), `${name} ${batch}x${seq}`).toBeLessThan(1e-4);
        // The scale over fewer columns gives other codes than the whole row's.
        expect(maxAbsDiff(want, quantizedForward(rowRef, b))).toBeGreaterThan(1e-4);
      }
      engine.destroy();
    }
    // Dense linears read every column: the same logits bit for bit either way.
    const b = randomBatch(model, 3, 7, 4);
    const run = async (int8Scale: 'row' | 'read' | 'read-out') => {
      const e = createEncoderEngine(gpu.device, gpu.caps, model, { ...int8, int8Scale });
      const l = await e.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 3, 7);
      e.destroy();
      return l;
    };
    const row = await run('row');
    expect(await run('read')).toEqual(row);
    expect(await run('read-out')).toEqual(row);
  }, 300_000);

  it('int8 HP on subgroup matrices (builtins emulated on SwiftShader): the same logits, matrix kernels', async () => {
    // HP only: the emulated dense tile takes SwiftShader ~50 s to compile per pipeline
    // (kernels-int8-matrix.test.ts covers it).
    const emu = withEmulatedSubgroupMatrix(gpu);
    const model = randomBertModel({}, 16);
    const b = randomBatch(model, 2, 6, 5);
    const { sparse, pruned } = pruneAll(model, 0.5, 16, 16);
    const opts = { sparse, maxBatch: 2, maxSeq: 6, quant: 'int8' as const, hpTile: 'matrix' }; // matrix-x64e1p
    const engine = createEncoderEngine(emu.device, emu.caps, pruned, opts);
    const logits = await engine.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    const linears = engine.qkvModes.reduce((n, mode) => n + (mode === 'fused' ? 1 : 3) + 3, 0);
    expect(engine.kernelVariants(12)).toEqual({ 'int8 matrix-x64e1p-hp': linears });
    engine.destroy();
    const ref = quantizedForward(quantizeBert(pruned, { bits: 8, activations: 'dynamic' }, sparse), b);
    expect(maxAbsDiff(logits, ref)).toBeLessThan(1e-4);
    // The integer attention on subgroup matrices (attention-int8-matrix) too.
    const att = createEncoderEngine(emu.device, emu.caps, pruned, { ...opts, int8Attention: 'matrix' });
    const attLogits = await att.run(b.inputIds, b.attentionMask, b.tokenTypeIds, 2, 6);
    att.destroy();
    const attRef = intAttentionForward(pruned, sparse, b);
    expect(maxAbsDiff(attLogits, attRef)).toBeLessThan(1e-4);
    expect(maxAbsDiff(attRef, ref)).toBeGreaterThan(1e-4);
  }, 300_000);

  it('rejects bad input and bad sparse maps with clear errors', async () => {
    const model = randomBertModel({}, 14);
    expect(() =>
      createEncoderEngine(gpu.device, gpu.caps, model, {
        maxBatch: 1,
        maxSeq: 4,
        sparse: new Map([['nope', {} as HPMatrix]]),
      }),
    ).toThrow(/not a prunable linear/);
    const engine = createEncoderEngine(gpu.device, gpu.caps, model, { maxBatch: 1, maxSeq: 4 });
    await expect(engine.run([1, 2, 3, 99], [1, 1, 1, 1], null, 1, 4)).rejects.toThrow(/outside the vocabulary/);
    await expect(engine.run([1, 2, 3, 4], [0, 0, 0, 0], null, 1, 4)).rejects.toThrow(/all-zero attention mask/);
    await expect(engine.run([1, 2, 3, 4], [1, 1, 1, 1], null, 1, 5)).rejects.toThrow(/expected batch\*seq = 5/);
    // Still usable after rejected calls.
    const ok = await engine.run([1, 2, 3, 4], [1, 1, 1, 0], null, 1, 4);
    expect(
      maxAbsDiff(
        ok,
        referenceForward(model, { inputIds: [1, 2, 3, 4], attentionMask: [1, 1, 1, 0], batch: 1, seq: 4 }),
      ),
    ).toBeLessThan(1e-4);
    const t = await engine.time(1, 4, 3, 1);
    expect(t.msMedian).toBeGreaterThan(0);
    expect(t.batch).toBe(1);
    engine.destroy();
    await expect(engine.run([1, 2, 3, 4], [1, 1, 1, 1], null, 1, 4)).rejects.toThrow(/destroyed/);
  });
});
