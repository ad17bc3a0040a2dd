// The forward for one batch x seq as an ordered list of labelled dispatches (op-profile.ts Step):
// which kernel runs each op, on which bind groups, decided from the engine's kernels, its rules
// for the call's token count and the current allocation's buffers. engine.ts records the list
// into each forward's pass (or a few command buffers, forward-submit.ts) and times it by kind.
import type { GpuLinear } from '../kernels';
import type { DenseDeferredLn } from '../kernels/linear-types';
import { HP_COLUMNS_FEW_TOKENS, MAX_COLUMN_SPLITS, type ColumnsTranspose } from '../kernels/hp-columns';
import type { AttentionKernel } from './attention';
import type { CacheTouch } from './cache-touch';
import type { ClsAttention } from './attention-cls';
import type { Activations, EngineGroups, LayerLinears, OutputGroups } from './forward-groups';
import type { HeadKernel } from './head';
import type { LinearAddLn } from './linear-addln';
import type { LiveHeads } from './live-outputs';
import type { OpKind, Step } from './op-profile';
import type { RowKernel } from './row-ops';
import type { HpTail } from './tail-hp';

/** The engine's kernels and settings (fixed for its life) the steps run. */
export interface ForwardKernels {
  hidden: number;
  heads: number;
  int8: boolean;
  embeddings: RowKernel;
  /** The embeddings writing x as columns too: a workgroup a token (few tokens), a subgroup a row. */
  embeddingsCols: RowKernel | null;
  embeddingsWideCols: RowKernel | null;
  transpose: ColumnsTranspose;
  addLn: RowKernel;
  /** The residual + LayerNorm that also writes x as columns (null: a transpose step does). */
  addLnCols: RowKernel | null;
  /** Per layer, its attention kernel. */
  layerAttention: AttentionKernel[];
  /** The last layer's attention on the [CLS] queries alone (null: the layer's own). */
  clsAttention: ClsAttention | null;
  /** clsAttention writes the tail's compact rows (no gather after it). */
  clsCompact: boolean;
  clsGather: RowKernel | null;
  /** clsTailLinears 'whole': the last layer's HP output side on the [CLS] rows in one dispatch. */
  wholeTail: HpTail | null;
  /** rowsBlock: the same kernel for each earlier layer's output side on every row. */
  rowsBlocks: HpTail[] | null;
  /** clsTailLinears 'split' (or 'whole' where it does not fit): the tail's HP output linears as K splits. */
  splitTail: boolean;
  tailSplitKc: number;
  /** The tail's last residual + LayerNorm left to the head. */
  tailHeadLn: boolean;
  head: HeadKernel;
  /** fuseAddLn: per layer, the output linears fused with their residual + LayerNorm (null: apart). */
  fusedOut: (LinearAddLn | null)[][];
  /** Per layer, its two LayerNorms' gamma and beta. */
  lnWeights: GPUBuffer[][];
}

/** The engine's rules for what a call of a shape runs (engine.ts, where each is explained). */
export interface ForwardRules {
  /** The heads layer i's attention runs (undefined: all). */
  headsRun(i: number, tokens: number): LiveHeads | undefined;
  /** Whether the last layer runs on the [CLS] rows alone. */
  tailFor(batch: number, seq: number): boolean;
  /** Whether the HP linears run on x as columns. */
  columnsFor(tokens: number): boolean;
  rowsBlockFor(batch: number, seq: number): boolean;
  /** A dense linear's deferred-LayerNorm halves, where they run for `tokens` (else null). */
  deferredLnOf(l: GpuLinear | null, tokens: number): DenseDeferredLn | null;
  /** Whether every LayerNorm but the last is deferred to the linear after it. */
  deferredFor(tokens: number): boolean;
  /** int8: whether the HP output linears run fused with their LayerNorm. */
  int8FusedFor(tokens: number): boolean;
}

/** The current allocation's linears, buffers and bind groups. */
export interface ForwardAllocation {
  act: Activations;
  groups: EngineGroups;
  linears: LayerLinears[];
  /** Per layer: the buffers its Q/K/V linears write (one for a stacked linear, three otherwise). */
  qkvOut: GPUBuffer[][];
  /** tailPrefetch: the last layer's output-side and the head's weights read into the cache before the
   *  last layer's attention, where the tail runs (null: not built). */
  tailPrefetch: CacheTouch | null;
}

export type ForwardParts = ForwardKernels & ForwardRules & ForwardAllocation;

/** The whole forward for batch x seq as labelled dispatches, in order. */
export function forwardSteps(engine: ForwardParts, batch: number, seq: number): Step[] {
  const { act: a, groups: g, linears, qkvOut, lnWeights, hidden, heads, int8 } = engine;
  const { embeddings, embeddingsCols, embeddingsWideCols, transpose, addLn, addLnCols, head } = engine;
  const { layerAttention, clsAttention, clsCompact, clsGather, wholeTail, rowsBlocks, fusedOut } = engine;
  const { splitTail, tailSplitKc, tailHeadLn, tailPrefetch } = engine;
  const { headsRun, tailFor, columnsFor, rowsBlockFor, deferredLnOf, deferredFor, int8FusedFor } = engine;
  const tokens = batch * seq;
  const out: Step[] = [];
  const step = (kind: OpKind, encode: (pass: GPUComputePassEncoder) => void) => out.push({ kind, encode });
  // rowsBlock: each earlier layer's output side in one dispatch on every row (g.blocks).
  const blocked = rowsBlockFor(batch, seq) && g.blocks !== null;
  // Only the heads whose context is read (none read: no dispatch). True where it wrote the
  // tail's compact rows (clsCompact: no gather after it).
  const attentionStep = (i: number): boolean => {
    const count = headsRun(i, tokens)?.count ?? heads;
    // clsAttention: the tail reads the last layer's [CLS] rows alone, so only their queries run.
    const cls = clsAttention && i === linears.length - 1 && tailFor(batch, seq);
    const call = { valueDims: headsRun(i, tokens)?.valueDims };
    const compact = cls && clsCompact && (blocked ? g.tail?.clsAttnAfterBlocks : g.tail?.clsAttn);
    if (compact && count > 0) {
      step('attention', (pass) => clsAttention.compact.encode(pass, compact, batch, seq, count, call));
      return true;
    }
    const kernel = cls ? clsAttention : layerAttention[i];
    if (count > 0) step('attention', (pass) => kernel.encode(pass, g.attn[i], batch, seq, count, call));
    return false;
  };
  // HP linears on X as columns (hp-columns.ts): Q/K/V and FFN-in read x as columns (xt), which
  // the residual + LayerNorm before them writes beside x (addLnCols; else a transpose step), and
  // FFN-out reads FFN-in's output as columns. The attention output stays on rows: a transpose of
  // the attention's output cost more than the columns saved there (H200, BENCHMARKS.md).
  const onColumns = columnsFor(tokens);
  const cols = (l: GpuLinear | null | undefined) => (onColumns && l?.columns) || null;
  const qkvCols = (i: number) => (linears[i]?.qkv.length === 1 ? cols(linears[i].qkv[0]) : null);
  /** Whether xt holds the current x. */
  let xtFresh = false;
  /** The tail's last residual + LayerNorm left to the head (tailHeadLn): its split-K parts, or 0. */
  let headLnParts = 0;
  // The embeddings write x as columns too: a workgroup a token at few tokens; above, where those
  // scattered column stores cost more than a transpose (H200 B=32 L=128: emb 0.0265 ms against 0.010
  // + 0.0049; BENCHMARKS.md, issue 19 tenth pass), a subgroup a row with the columns staged
  // (embeddingsColumns; 'transpose': the transpose step instead).
  const embCols = tokens <= HP_COLUMNS_FEW_TOKENS && qkvCols(0) && embeddingsCols && g.embCols;
  const embWideCols = tokens > HP_COLUMNS_FEW_TOKENS && qkvCols(0) && embeddingsWideCols && g.embWideCols;
  if (embCols) {
    step('embeddings', (pass) => embeddingsCols!.encode(pass, embCols, tokens));
    xtFresh = true;
  } else if (embWideCols) {
    step('embeddings', (pass) => embeddingsWideCols!.encode(pass, embWideCols, tokens));
    xtFresh = true;
  } else step('embeddings', (pass) => embeddings.encode(pass, g.emb, tokens));
  /** x as columns in xt for the next linear, on `n` rows (o: their groups). */
  const needColumns = (n = tokens, o = g.out[0]) => {
    if (!xtFresh) step('transpose', (pass) => transpose.encode(pass, o.toColumns, n, hidden));
    xtFresh = true;
  };
  /** The int8 linear input whose codes the last int8 LayerNorm wrote (int8Input.encode reads them). */
  let codesFresh: GpuLinear['int8Input'] | null = null;
  const fromCodes = (l: GpuLinear) => (codesFresh && l.int8Input === codesFresh ? codesFresh : null);
  /** Residual + LayerNorm j of layer i (adding `parts` split-K slices) on `n` rows (o: their
   *  groups), writing xt too if `columns`, or (int8, lnInt8) the next linear's codes. */
  const layerNormStep = (i: number, j: number, parts: number, columns: boolean, n = tokens, o = g.out[i]) => {
    const q = o === g.out[i] ? g.lnInt8[i][j] : o === g.tail ? g.tail.lnInt8[j] : null;
    codesFresh = q?.next ?? null;
    if (q) {
      step('layernorm', (pass) => q.kernel.encode(pass, q.group, n, parts));
      xtFresh = false;
      return;
    }
    const lnCols = columns ? o.lnCols?.[j] : undefined;
    if (lnCols) step('layernorm', (pass) => addLnCols!.encode(pass, lnCols, n, parts));
    else step('layernorm', (pass) => addLn.encode(pass, o.ln[j], n, parts));
    xtFresh = Boolean(lnCols);
  };
  // Every layer dense on register tiles: the residual + LayerNorms but the last deferred to the
  // linear after each (DenseDeferredLn): a holds the un-normalised rows, stats their statistics,
  // and Q/K/V and FFN-in write the normalised rows to x for the next residual.
  const deferredOf = (l: GpuLinear | null) => deferredLnOf(l, tokens);
  const deferred = deferredFor(tokens);
  if (deferred)
    linears.forEach((lin, i) => {
      const [qkv, out, ffnIn, ffnOut] = [lin.qkv[0], lin.attnOut, lin.ffnIn, lin.ffnOut].map((l) => deferredOf(l)!);
      if (i === 0) step('qkv', (pass) => lin.qkv[0].encode(pass, a.x, qkvOut[i][0], tokens));
      else step('qkv', (pass) => qkv.encodeNorm(pass, a.a, a.stats, lnWeights[i - 1][1], a.x, qkvOut[i][0], tokens));
      attentionStep(i);
      step('attn-out', (pass) => out.encodeStats(pass, a.ctx, a.x, a.a, a.stats, tokens));
      step('ffn1', (pass) => ffnIn.encodeNorm(pass, a.a, a.stats, lnWeights[i][0], a.x, a.f, tokens));
      if (i < linears.length - 1) step('ffn2', (pass) => ffnOut.encodeStats(pass, a.f, a.x, a.a, a.stats, tokens));
      else {
        step('ffn2', (pass) => lin.ffnOut!.encode(pass, a.f, a.a, tokens));
        layerNormStep(i, 1, 1, false);
      }
    });
  else {
    // clsTail: after the last layer's attention, only the rows the head reads.
    const tail = tailFor(batch, seq) ? g.tail : null;
    /** clsTailLinears 'whole': the tail kernel's slices (the head's parts), or 0. */
    let wholeParts = 0;
    linears.forEach((lin, i) => {
      const qkv = qkvCols(i);
      if (qkv) {
        needColumns();
        step('qkv', (pass) => qkv.encode(pass, a.xt, qkvOut[i][0], tokens, false));
      } else {
        const codes = lin.qkv.length === 1 ? fromCodes(lin.qkv[0]) : null;
        if (codes) step('qkv', (pass) => codes.encode(pass, qkvOut[i][0], tokens));
        else lin.qkv.forEach((l, j) => step('qkv', (pass) => l.encode(pass, a.x, qkvOut[i][j], tokens)));
      }
      // The tail's and the head's weights into the cache, after the last big dispatch that could evict
      // them (no earlier dispatch of this forward read them: the tail's own copy, the last layer's).
      if (tailPrefetch && tail && i === linears.length - 1) step('prefetch', (pass) => tailPrefetch.encode(pass));
      const compacted = attentionStep(i);
      const block = blocked && i < linears.length - 1 ? g.blocks![i] : null;
      if (block) {
        // The output side in one dispatch (its LayerNorm's output to the other x), then the residual
        // + LayerNorm adding its slices in place there, writing xt for the next Q/K/V.
        const kernel = rowsBlocks![i];
        step('block', (pass) => kernel.encode(pass, block.buffers, tokens));
        const parts = kernel.slicesFor(tokens);
        if (addLnCols) step('layernorm', (pass) => addLnCols.encode(pass, block.ln, tokens, parts));
        else {
          step('layernorm', (pass) => addLn.encode(pass, block.ln, tokens, parts));
          step('transpose', (pass) => transpose.encode(pass, block.toColumns, tokens, hidden));
        }
        xtFresh = true;
        return;
      }
      if (tail && i === linears.length - 1) {
        const gather = blocked ? tail.gatherAfterBlocks! : tail.gather;
        if (!compacted) step('gather', (pass) => clsGather!.encode(pass, gather, batch));
        xtFresh = false;
        const whole = wholeTail && tail.whole;
        if (whole) {
          // The output linears in one dispatch; the head adds their slices' partial sums.
          step('tail', (pass) => wholeTail.encode(pass, whole, batch));
          wholeParts = wholeTail.slicesFor(batch);
          return;
        }
        // int8: fused or not as the call's other layers (the tail's rows are too few to decide on).
        layerOutputs(lin, i, batch, tail, int8FusedFor(tokens) ? tail.int8HpLn : null, splitTail);
      } else layerOutputs(lin, i, tokens, g.out[i], int8FusedFor(tokens) ? g.int8HpLn[i] : null, false);
    });
    const lnParts = headLnParts;
    const headWhole = tail?.headWhole;
    if (headWhole && wholeParts > 0)
      step('head', (pass) => head.withLayerNorm.encode(pass, headWhole, batch, wholeParts));
    else if (tail && lnParts > 0) step('head', (pass) => head.withLayerNorm.encode(pass, tail.headLn, batch, lnParts));
    else step('head', (pass) => head.encode(pass, tail ? tail.head : g.head, batch));
    return out;
  }
  step('head', (pass) => head.encode(pass, g.head, batch));
  return out;

  /** Layer i after its attention, on `n` rows (o: their groups; q: int8's fused output linears;
   *  split: the HP output linears as K splits, the residual + LayerNorm apart: clsTailLinears). */
  function layerOutputs(
    lin: LayerLinears,
    i: number,
    n: number,
    o: OutputGroups,
    q: EngineGroups['int8HpLn'][number] | null,
    split: boolean,
  ) {
    const on = columnsFor(n);
    const colsN = (l: GpuLinear | null | undefined) => (on && l?.columns) || null;
    /** The K splits of an HP output linear on columns (tailSplitKc kept columns a split). */
    const splitsOf = (c: NonNullable<GpuLinear['columns']>) =>
      Math.min(MAX_COLUMN_SPLITS, Math.ceil(c.keptColumns / tailSplitKc));
    const out1 = split && hidden % 4 === 0 ? colsN(lin.attnOut) : null;
    // Fused: the 'attn-out' and 'ffn2' steps include their residual + LayerNorm.
    const [f1, f2] = fusedOut[i];
    const [g1, g2] = o.fused;
    const inCols = colsN(lin.ffnIn);
    const [h1, h2] = on ? o.hpLn : [null, null];
    const ln1 = h1 && lin.attnOut?.columns?.addLn;
    const [q1, q2] = q ?? [null, null];
    // The next layer's Q/K/V on columns (its LayerNorm writes xt).
    const nextCols = qkvCols(i + 1) !== null;
    if (q1) {
      // int8: quantize, HP linear, residual + LayerNorm and FFN-in's codes in one dispatch.
      step('attn-out', (pass) => q1.kernel.encode(pass, q1.group, n));
      codesFresh = q1.next;
      xtFresh = false;
    } else if (f1 && g1) {
      step('attn-out', (pass) => f1.encode(pass, g1, n));
      xtFresh = false;
    } else if (out1) {
      // K splits on the attention's context as rows; the residual + LayerNorm adds them.
      const parts = splitsOf(out1);
      step('attn-out', (pass) => out1.encode(pass, o.ctx, a.a, n, false, { splits: parts, inRows: true }));
      layerNormStep(i, 0, parts, inCols !== null, n, o);
    } else if (ln1 && h1) {
      // The HP attention output with its residual + LayerNorm (writing xt for FFN-in on columns).
      const outCols = inCols !== null;
      step('attn-out', (pass) => ln1.encode(pass, h1, n, true, outCols));
      xtFresh = outCols;
      codesFresh = null;
    } else {
      // The residual + LayerNorm adds the linear's split-K slices, if any.
      const parts = lin.attnOut!.partsFor?.(n) ?? 1;
      step('attn-out', (pass) => lin.attnOut!.encode(pass, o.ctx, a.a, n));
      layerNormStep(i, 0, parts, inCols !== null, n, o);
    }
    const ffn2Cols = inCols && !(f2 && g2) ? colsN(lin.ffnOut) : null;
    if (inCols) {
      needColumns(n, o);
      step('ffn1', (pass) => inCols.encode(pass, a.xt, a.f, n, ffn2Cols !== null));
    } else {
      const codes = fromCodes(lin.ffnIn);
      if (codes) step('ffn1', (pass) => codes.encode(pass, a.f, n));
      else step('ffn1', (pass) => lin.ffnIn.encode(pass, o.x, a.f, n));
    }
    const ln2 = ffn2Cols && h2 && lin.ffnOut?.columns?.addLn;
    if (q2) {
      step('ffn2', (pass) => q2.kernel.encode(pass, q2.group, n));
      codesFresh = q2.next;
      xtFresh = false;
    } else if (f2 && g2) {
      step('ffn2', (pass) => f2.encode(pass, g2, n));
      xtFresh = false;
    } else if (split && ffn2Cols) {
      const parts = splitsOf(ffn2Cols);
      step('ffn2', (pass) => ffn2Cols.encode(pass, a.f, a.a, n, false, { splits: parts }));
      if (o === g.tail && tailHeadLn && !int8) headLnParts = parts;
      else layerNormStep(i, 1, parts, nextCols, n, o);
    } else if (ln2 && h2) {
      step('ffn2', (pass) => ln2.encode(pass, h2, n, false, nextCols));
      xtFresh = nextCols;
      codesFresh = null;
    } else {
      const parts = lin.ffnOut!.partsFor?.(n) ?? 1;
      if (ffn2Cols) step('ffn2', (pass) => ffn2Cols.encode(pass, a.f, a.a, n, false));
      else step('ffn2', (pass) => lin.ffnOut!.encode(pass, a.f, a.a, n));
      layerNormStep(i, 1, parts, nextCols, n, o);
    }
  }
}
