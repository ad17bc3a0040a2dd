// The bind groups of every op of the forward on one allocation's buffers (engine.ts allocate):
// the same kernels bound to every token's rows, to the [CLS] rows of the last layer (clsTail) and,
// for rowsBlock, to the two x buffers the layers alternate between. forward-steps.ts picks which
// of them a call of a shape runs.
import type { GpuLinear } from '../kernels';
import { shapeTile } from '../kernels/hp-columns-ln';
import type { Int8HpLn } from '../kernels/int8-hp-ln';
import { int8ColumnWords } from '../kernels/int8-transpose';
import { bindBuffers, type BufferArg, type KernelLayout } from '../kernel';
import type {
  Activations,
  EngineGroups,
  Int8FusedGroup,
  Int8LnGroup,
  LayerLinears,
  OutputGroups,
} from './forward-groups';
import type { ForwardKernels } from './forward-steps';
import type { RowKernel } from './row-ops';
import { GpuLimitError } from '../limits';

/** The per-shape parameters (uniform buffers, rewritten when the shape changes). */
export interface EngineUniforms {
  emb: GPUBuffer;
  ln: GPUBuffer;
  /** One a layer: Params.heads carries the layer's live heads. */
  attn: GPUBuffer[];
  head: GPUBuffer;
  transpose: GPUBuffer;
  /** clsTail: the LayerNorms, transpose and head on the `batch` [CLS] rows, and their gather. */
  lnTail: GPUBuffer;
  transposeTail: GPUBuffer;
  headTail: GPUBuffer;
  gather: GPUBuffer;
}

/** The embeddings' tables and every LayerNorm's gamma and beta (uploaded once). */
export interface EngineWeights {
  word: GPUBuffer;
  position: GPUBuffer;
  tokenType: GPUBuffer;
  embLn: GPUBuffer;
  /** Per layer, LayerNorm 1 and 2. */
  ln: GPUBuffer[][];
}

export interface BindingParts extends ForwardKernels {
  device: GPUDevice;
  ffn: number;
  /** hpFuseLn, and its forced tile (hp-columns-ln.ts shapeTile). */
  hpFuseLn: boolean;
  hpLnTile: string | undefined;
  /** The allocation's token capacity. */
  tokens: number;
  act: Activations;
  /** The token ids, types and mask: three sections of act.tokens. */
  ins: Record<'ids' | 'types' | 'mask', GPUBufferBinding>;
  linears: LayerLinears[];
  qkvOut: GPUBuffer[][];
  uniforms: EngineUniforms;
  weights: EngineWeights;
  /** int8: the residual + LayerNorm writing the next linear's codes, as rows or columns (null: none). */
  int8LnFor(columns: boolean, read: boolean): RowKernel | null;
  /** int8: per layer, its output linears fused with their LayerNorm and the next linear's codes. */
  int8Fused: ({ kernel: Int8HpLn; next: GpuLinear['int8Input'] | null } | null)[][];
}

export function bindForward(parts: BindingParts): EngineGroups {
  const { device, act: a, ins, linears, qkvOut, uniforms, weights, tokens, int8Fused, int8LnFor } = parts;
  const { hidden, ffn, int8, hpFuseLn, hpLnTile, fusedOut, head, transpose, addLn, addLnCols } = parts;
  const { embeddings, embeddingsCols, embeddingsWideCols, layerAttention, clsAttention, clsGather } = parts;
  const { wholeTail, rowsBlocks } = parts;
  const bind = (layout: KernelLayout, buffers: BufferArg[]) => bindBuffers(device, layout, 'encoder', buffers);
  /** LN j of layer i feeds FFN-in of layer i (j = 0) or the stacked Q/K/V of layer i + 1; on the
   *  rows x (params u: every token's, or clsTail's [CLS] rows). */
  const lnInt8 = (i: number, j: number, ln: GPUBuffer, u = uniforms.ln, x = a.x): Int8LnGroup | null => {
    const next = j === 0 ? linears[i].ffnIn : linears[i + 1]?.qkv.length === 1 ? linears[i + 1].qkv[0] : null;
    const q = next?.int8Input;
    const tw = q?.columnWords;
    if (!q || (tw && tw !== int8ColumnWords(tokens))) return null;
    const kernel = int8LnFor(tw !== 0, Boolean(q.readMask));
    const bufs = [u, a.a, x, ln, q.codes, q.scales, ...(q.readMask ? [q.readMask] : [])];
    return kernel && { kernel, group: bind(kernel.layout, bufs), next: q };
  };
  /** Layer i's fused output linears bound to the rows x with the attention's context ctx (params u). */
  const int8HpLn = (i: number, u: GPUBuffer, x: GPUBuffer, ctx: GPUBuffer) =>
    int8Fused[i].map((f, j): Int8FusedGroup | null => {
      if (!f) return null;
      const [codes, scales] = f.next ? [f.next.codes, f.next.scales] : [a.a, a.stats];
      return { ...f, group: f.kernel.bind(u, j ? a.f : ctx, weights.ln[i][j], x, codes, scales) };
    });
  const embInputs = [
    uniforms.emb,
    ins.ids,
    ins.types,
    weights.word,
    weights.position,
    weights.tokenType,
    weights.embLn,
    a.x,
  ];
  const toColumns = transpose.bind(uniforms.transpose, a.x, a.xt);
  /** What follows layer i's attention on the rows x / ctx, the LayerNorms' params in `u`. */
  const outputGroups = (i: number, u: GPUBuffer, x: GPUBuffer, ctx: GPUBuffer, toCols: GPUBindGroup): OutputGroups => {
    const lns = weights.ln[i];
    const [o1, o2] = fusedOut[i];
    const l = linears[i];
    return {
      x,
      ctx,
      toColumns: toCols,
      ln: lns.map((ln) => bind(addLn.layout, [u, a.a, x, ln])),
      lnCols: addLnCols && lns.map((ln) => bind(addLnCols.layout, [u, a.a, x, ln, a.xt])),
      fused: [o1?.bind(u, ctx, x) ?? null, o2?.bind(u, a.f, x) ?? null],
      hpLn: [
        [l.attnOut, ctx],
        [l.ffnOut, a.f],
      ].map(([lin, input], j) => {
        const hpLin = lin as GpuLinear | null;
        const f = hpFuseLn && !int8 ? hpLin?.columns?.addLn : null;
        // The forced tile of this linear ('off': left unfused; per shape: hp-columns-ln.ts shapeTile).
        const forced = shapeTile(hpLnTile, j === 0 ? hidden : ffn, hidden);
        if (hpFuseLn && !int8 && forced && forced !== 'off' && hpLin?.columns && !f)
          throw new GpuLimitError(`fused LayerNorm tile '${forced}' is unknown or does not fit layer ${i}`);
        return f ? f.bind(u, input as GPUBuffer, lns[j], x, a.xt) : null;
      }),
    };
  };
  /** The last layer's [CLS] attention writing the tail's compact rows (clsCompact), copying x's
   *  [CLS] rows from `x` (rowsBlock: where the layers before left it). */
  const bindTailAttention = (x = a.x) => {
    const bufs = qkvOut[qkvOut.length - 1];
    const [q, k, v] = bufs.length === 1 ? [bufs[0], bufs[0], bufs[0]] : bufs;
    const u = uniforms.attn[uniforms.attn.length - 1];
    return bind(clsAttention!.compact.layout, [u, q, k, v, ins.mask, a.clsCtx, x, a.clsX]);
  };
  /** rowsBlock: layer i's rows are in x (i even) or x2 (odd); its block writes the other. */
  const rowsOf = (i: number) => (i % 2 === 0 ? a.x : a.x2);
  return {
    emb: bind(embeddings.layout, embInputs),
    embCols: embeddingsCols && bind(embeddingsCols.layout, [...embInputs, a.xt]),
    embWideCols: embeddingsWideCols && bind(embeddingsWideCols.layout, [...embInputs, a.xt]),
    attn: qkvOut.map((bufs, i) => {
      const [q, k, v] = bufs.length === 1 ? [bufs[0], bufs[0], bufs[0]] : bufs;
      return bind(layerAttention[i].layout, [uniforms.attn[i], q, k, v, ins.mask, a.ctx]);
    }),
    out: linears.map((_, i) => outputGroups(i, uniforms.ln, a.x, a.ctx, toColumns)),
    tail:
      clsGather && linears.length > 0
        ? {
            ...outputGroups(
              linears.length - 1,
              uniforms.lnTail,
              a.clsX,
              a.clsCtx,
              transpose.bind(uniforms.transposeTail, a.clsX, a.xt),
            ),
            gather: bind(clsGather.layout, [uniforms.gather, a.ctx, a.x, a.clsCtx, a.clsX]),
            clsAttn: clsAttention && bindTailAttention(),
            clsAttnAfterBlocks: clsAttention && rowsBlocks && bindTailAttention(rowsOf(rowsBlocks.length)),
            gatherAfterBlocks:
              rowsBlocks &&
              bind(clsGather.layout, [uniforms.gather, a.ctx, rowsOf(rowsBlocks.length), a.clsCtx, a.clsX]),
            head: bind(head.layout, [uniforms.headTail, a.clsX, ...head.weights, a.logits]),
            headLn: bind(head.withLayerNorm.layout, [
              uniforms.headTail,
              a.clsX,
              ...head.weights,
              a.logits,
              a.a,
              weights.ln[linears.length - 1][1],
            ]),
            whole: wholeTail && { params: uniforms.lnTail, ctx: a.clsCtx, x: a.clsX, h: a.clsH, a: a.a },
            headWhole:
              wholeTail &&
              bind(head.withLayerNorm.layout, [
                uniforms.headTail,
                a.clsH,
                ...head.weights,
                a.logits,
                a.a,
                weights.ln[linears.length - 1][1],
              ]),
            lnInt8: weights.ln[linears.length - 1].map((ln, j) =>
              lnInt8(linears.length - 1, j, ln, uniforms.lnTail, a.clsX),
            ),
            int8HpLn: int8HpLn(linears.length - 1, uniforms.lnTail, a.clsX, a.clsCtx),
          }
        : null,
    head: bind(head.layout, [uniforms.head, a.x, ...head.weights, a.logits]),
    blocks:
      rowsBlocks?.map((_, i) => {
        const [x, h] = [rowsOf(i), rowsOf(i + 1)];
        const ln = weights.ln[i][1];
        return {
          buffers: { params: uniforms.ln, ctx: a.ctx, x, h, a: a.a },
          // The residual + LayerNorm in place on h, adding the block's slices (and writing xt).
          ln: addLnCols
            ? bind(addLnCols.layout, [uniforms.ln, a.a, h, ln, a.xt])
            : bind(addLn.layout, [uniforms.ln, a.a, h, ln]),
          toColumns: transpose.bind(uniforms.transpose, h, a.xt),
        };
      }) ?? null,
    lnInt8: weights.ln.map((pair, i) => pair.map((ln, j) => lnInt8(i, j, ln))),
    int8HpLn: linears.map((_, i) => int8HpLn(i, uniforms.ln, a.x, a.ctx)),
  };
}
