// The whole BERT classifier on WebGPU: embeddings, every encoder layer (Q/K/V as one linear,
// fused attention, attention output, residual + LayerNorm, FFN with fused GELU, residual +
// LayerNorm), pooler and classifier, for B padded sequences of length L in one compute pass and
// one submit. Each prunable linear runs on the HP-sparse kernel when `sparse` has an HPMatrix for
// it (by Linear.name), on the dense kernel otherwise (gpu/kernels); a layer's Q, K and V run as
// one stacked linear when all three are dense or all three HP on one grid (qkv-plan.ts), as
// three otherwise. Weights are uploaded once; activation buffers are allocated for
// maxBatch x maxSeq tokens and reused, and grow (with the linears re-created) only when a call
// needs more tokens. `profile` times each kind of op on its own (op-profile.ts).
// Its parts: engine-api.ts (options, their measured defaults, the interface), engine-linears.ts
// (the GPU linear of each model linear), forward-bindings.ts (every op's bind groups on an
// allocation), forward-steps.ts (which dispatches a call of a shape runs), forward-submit.ts (its
// submits and the next forward recorded ahead). This file builds the kernels, owns the buffers
// and decides the per-call rules; run(), time() and profile() are here.
import type { GpuCapabilities } from '../adapter';
import type { BertModel } from '../../core/model/bert-types';
import { prunableLinears } from '../../core/model/bert-types';
import type { HPMatrix } from '../../core/formats/hp';
import type { GpuLinear } from '../kernels';
import { deferredSlots, maxSplitParts, type SplitK } from '../kernels/variant-rule';
import {
  HP_COLUMNS_FEW_TOKENS,
  HP_COLUMNS_MIN_TOKENS,
  MAX_COLUMN_SPLITS,
  columnsFloats,
  createColumnsTranspose,
} from '../kernels/hp-columns';
import { createInt8HpLn, type Int8HpLn } from '../kernels/int8-hp-ln';
import { int8ColumnWords } from '../kernels/int8-transpose';
import { DEFAULT_INT8_SCALE, INT8_SCALES, quantizeHP, readColumns } from '../../core/quant';
import { timeCompute } from '../timing';
import {
  createAddLayerNormColumnsKernel,
  createAddLayerNormInt8Kernel,
  createAddLayerNormKernel,
  createClsGatherKernel,
  createEmbeddingsColumnsKernel,
  createEmbeddingsKernel,
  defaultLayerNormVariant,
  type RowKernel,
} from './row-ops';
import { createAttentionKernel, type AttentionKernel, type QkvLayout } from './attention';
import { createInt8AttentionKernel } from './attention-int8';
import { createInt8MatrixAttentionKernel } from './attention-int8-matrix';
import { planQkv, type QkvPlan } from './qkv-plan';
import { ffnInLive, HP_LIVE_MODES, liveHeads, type LiveHeads } from './live-outputs';
import { profileSteps, type Step } from './op-profile';
import { forwardSteps, type ForwardKernels, type ForwardRules } from './forward-steps';
import { engineLinears } from './engine-linears';
import { bindForward } from './forward-bindings';
import { createHeadKernel, sumHeadShares } from './head';
import { createClsAttention } from './attention-cls';
import { createLinearAddLn, type LinearAddLn } from './linear-addln';
import { shapeTile } from '../kernels/hp-columns-ln';
import { concatF32, uploadBuffer } from '../kernel';
import { createHpTail, hpTailFits, wholeTailLayer, type TailLayer } from './tail-hp';
import { toTokenWords, validateEngineInputs, type IdArray } from './inputs';
import { createCacheTouch, largestBuffers, type CacheTouch } from './cache-touch';
import { createForwardSubmitter, nextTurn, RECORD_SLICE, SUBMIT_CHUNKS } from './forward-submit';
import { nudgeByDefault, nudged } from '../readback-floor';
import {
  CLS_COMPACT,
  CLS_TAIL_LINEARS,
  CLS_TAIL_MIN_TOKENS_HP,
  INT8_FUSE_LN_TOKENS,
  ROWS_BLOCK_MAX_TOKENS,
  TAIL_SPLIT_KC,
  type EncoderEngine,
  type EncoderEngineOptions,
} from './engine-api';
import { layerLinears, type Activations, type EngineGroups, type LayerLinears } from './forward-groups';

/** Shortest timestamped pass of forwards (timeCompute's minSampleMs): Dawn on the H200 rounds
 *  timestamps to 65.5 µs, which the default 2 ms left as 33-µs steps of a 1.8-ms forward
 *  (BENCHMARKS.md, issue 19 fifth pass); 10 ms makes them 7 µs or less. */
const FORWARD_SAMPLE_MS = 10;

export function createEncoderEngine(
  device: GPUDevice,
  caps: GpuCapabilities,
  model: BertModel,
  opts: EncoderEngineOptions,
): EncoderEngine {
  const { hidden, heads, ffn, labels, layerNormEps: eps } = model.config;
  checkModel(model);
  const sparse = opts.sparse ?? new Map<string, HPMatrix>();
  const names = new Set(prunableLinears(model).map((l) => l.name));
  for (const [name, hp] of sparse) {
    if (!names.has(name))
      throw new RangeError(
        `sparse matrix '${name}' is not a prunable linear of this model (${[...names].slice(0, 3).join(', ')}, …)`,
      );
    const l = prunableLinears(model).find((x) => x.name === name)!;
    if (hp.out !== l.out || hp.in !== l.in)
      throw new RangeError(`sparse matrix '${name}' is ${hp.out}x${hp.in}, the model's is ${l.out}x${l.in}`);
  }
  if (!(opts.maxBatch >= 1 && opts.maxSeq >= 1)) throw new RangeError('maxBatch and maxSeq must be at least 1');

  // Kernels and weights that do not depend on the token count.
  const embeddings = createEmbeddingsKernel(device, hidden);
  // The embeddings that also write x as columns, for a first Q/K/V on columns (no transpose step).
  const embeddingsCols =
    sparse.size > 0 && opts.hpColumns !== false && opts.quant !== 'int8'
      ? createEmbeddingsKernel(device, hidden, true)
      : null;
  // The same for many tokens, a subgroup a row (no transpose step after them).
  const embeddingsWideCols =
    embeddingsCols && (opts.embeddingsColumns ?? 'subgroup') === 'subgroup'
      ? createEmbeddingsColumnsKernel(device, hidden, caps)
      : null;
  const layerNorm = opts.layerNorm ?? defaultLayerNormVariant(device, caps);
  const addLn = createAddLayerNormKernel(device, hidden, layerNorm, caps);
  // Q/K/V per layer: one stacked linear where the three share a representation, and the
  // attention kernel that reads that layout (one per distinct layout).
  const qkvPad = opts.qkvPad ?? 'auto';
  if (qkvPad !== 'auto' && (!Number.isInteger(qkvPad) || qkvPad < 0 || qkvPad % 4 !== 0))
    throw new RangeError(`qkvPad must be a non-negative multiple of 4 or 'auto', got ${qkvPad}`);
  const qkvPlans: QkvPlan[] = model.layers.map((l) => planQkv(l, sparse, hidden, qkvPad));
  const int8Att = opts.quant === 'int8' ? (opts.int8Attention ?? false) : false;
  const int8Scale = opts.int8Scale ?? DEFAULT_INT8_SCALE;
  if (!INT8_SCALES.includes(int8Scale)) throw new RangeError(`int8Scale must be one of ${INT8_SCALES.join(', ')}`);
  // int8 'read' / 'read-out': the input columns each HP linear reads (by name), and whether the forward may skip
  // what feeds only unread columns (not with the integer attention: its Q scale spans every head).
  const readScale = opts.quant === 'int8' && int8Scale !== 'row';
  const reads = readScale ? readColumns(model, sparse, int8Scale === 'read-out') : new Map<string, Uint8Array>();
  const int8Live = readScale && !int8Att;
  const attentionKernels = new Map<string, AttentionKernel>();
  const layerVariants = opts.attention?.split('/');
  const attentionFor = (layout: QkvLayout, i: number): AttentionKernel => {
    const variant = layerVariants?.[Math.min(i, layerVariants.length - 1)];
    const key = `${JSON.stringify(layout)} ${variant}`;
    let kernel = attentionKernels.get(key);
    if (!kernel)
      attentionKernels.set(
        key,
        (kernel =
          int8Att === 'matrix'
            ? createInt8MatrixAttentionKernel(device, caps, hidden, heads, layout, opts.maxSeq)
            : int8Att
              ? createInt8AttentionKernel(device, hidden, heads, layout, opts.maxSeq, opts.int8AttentionSplits)
              : createAttentionKernel(device, hidden, heads, layout, variant)),
      );
    return kernel;
  };
  const layerAttention = qkvPlans.map((p, i) => attentionFor(p.layout, i));
  const head = createHeadKernel(device, model);
  const transpose = createColumnsTranspose(device);
  const clsTail = opts.clsTail ?? 'auto';
  // int8 too: its linears quantize each row on its own (per-token scales), so the [CLS] rows' codes,
  // sums and LayerNorms are the ones every row's forward gives them.
  const clsGather = clsTail !== false ? createClsGatherKernel(device, hidden) : null;
  const lastPlan = qkvPlans[qkvPlans.length - 1];
  // Never with the integer attention (its own kernels and rounding; the tail still runs after it).
  const clsAttention =
    (opts.clsAttention ?? true) && clsGather && lastPlan && !int8Att
      ? createClsAttention(device, hidden, heads, lastPlan.layout)
      : null;
  const clsCompact = opts.clsCompact ?? CLS_COMPACT;
  const tailLinears = opts.clsTailLinears ?? CLS_TAIL_LINEARS;
  // 'whole': the last layer's HP output linears on the [CLS] rows in one dispatch, where they fit it.
  const lastLayer = model.layers[model.layers.length - 1];
  const tailLayer = lastLayer && wholeTailLayer(lastLayer, sparse);
  // The [CLS] tail and rowsBlock's kernels: the same kernel, fit check and options.
  const tailFitsDevice = (l: TailLayer) => hpTailFits(device.limits, l, hidden, ffn, MAX_COLUMN_SPLITS);
  const tailKernel = (l: TailLayer) =>
    createHpTail(device, l, hidden, ffn, {
      slices: opts.tailSlices,
      unroll: opts.tailUnroll,
      maxSlices: MAX_COLUMN_SPLITS,
    });
  const wholeTail =
    clsGather && tailLinears === 'whole' && opts.quant !== 'int8' && opts.weights !== 'f16' && tailLayer
      ? tailFitsDevice(tailLayer)
        ? tailKernel(tailLayer)
        : null
      : null;
  if ((opts.tailSlices ?? opts.tailUnroll) !== undefined && tailLinears !== 'whole')
    throw new RangeError("tailSlices and tailUnroll are clsTailLinears 'whole''s");
  const splitTail = tailLinears === 'split' || (tailLinears === 'whole' && !wholeTail);
  // rowsBlock: the same kernel for each earlier layer's output side on every token row.
  const blockLayers = wholeTail ? model.layers.slice(0, -1).map((l) => wholeTailLayer(l, sparse)) : [];
  // 'auto' on hardware adapters only: the block recomputes the attention output in each slice, which
  // a GPU's idle SMs absorb and a software adapter's CPU pays for (SwiftShader, the page's Run on my
  // GPU at B=1 L=64, HP 50 %: 1.8 -> 4.3 s a forward). Not built where no call runs them: each keeps
  // its own copy of its layer's output-side weights.
  const blocksRun = opts.rowsBlock === true || (opts.rowsBlock !== false && !caps.isFallbackAdapter);
  const rowsBlocks =
    wholeTail && blocksRun && blockLayers.length > 0 && blockLayers.every((l) => l && tailFitsDevice(l))
      ? blockLayers.map((l) => tailKernel(l!))
      : null;
  const tailSplitKc = opts.tailSplitKc ?? TAIL_SPLIT_KC;
  const tailHeadLn = opts.tailHeadLn ?? true;
  if (!(Number.isInteger(tailSplitKc) && tailSplitKc >= 1))
    throw new RangeError(`tailSplitKc must be a positive integer, got ${tailSplitKc}`);
  const hpColumns = opts.hpColumns ?? 'auto';
  const hpFuseLn = opts.hpFuseLn ?? true;
  const hpLive = opts.hpLive ?? 'auto';
  if (!HP_LIVE_MODES.includes(hpLive)) throw new RangeError(`hpLive must be one of ${HP_LIVE_MODES.join(', ')}`);
  // Per layer, the heads the attention runs (live-outputs.ts liveHeads): f32, and int8 with the 'read'
  // scale (with the 'row' scale the attention output's quantizer spans whole context rows).
  const layerHeads = model.layers.map((l) =>
    opts.quant === 'int8' && !int8Live ? undefined : liveHeads(sparse.get(l.attnOut.name), heads, hpLive),
  );
  /** Heads layer i's attention runs in a call of `tokens` (all, or the live ones from minTokens). */
  const headsRun = (i: number, tokens: number) => {
    const live = layerHeads[i];
    return live && tokens >= live.minTokens ? live : undefined;
  };
  // The attention's Params: seq, scale, the heads run, then each head's read columns (Params.dims).
  const attnWords = 4 + 4 * Math.ceil(heads / 4);
  const attnParams = (seq: number, live: LiveHeads | undefined) => {
    const a = new Uint32Array(attnWords);
    a.set([seq, 0, live?.bits ?? 0]);
    new Float32Array(a.buffer)[1] = 1 / Math.sqrt(hidden / heads);
    if (live?.dims) a.set(live.dims, 4);
    return a;
  };
  // 'auto': on columns from HP_COLUMNS_MIN_TOKENS tokens a call, and up to HP_COLUMNS_FEW_TOKENS
  // (B=1) where the attention output and FFN-out run fused with their LayerNorm (22 dispatches a
  // forward instead of 30: at B=1 the CPU's submit, not the GPU, sets run()'s wall time), and where
  // rowsBlock runs (its LayerNorm writes the next Q/K/V's columns).
  const fusedLnRuns = () => hpFuseLn && !int8 && linears.some((l) => l.attnOut?.columns?.addLn?.fewTokens);
  // Built (blocksRun): every call where forced, else up to ROWS_BLOCK_MAX_TOKENS.
  const rowsBlockTokens = (tokens: number) =>
    rowsBlocks !== null && (opts.rowsBlock === true || tokens <= ROWS_BLOCK_MAX_TOKENS);
  const columnsFor = (tokens: number) =>
    hpColumns === 'auto'
      ? tokens >= HP_COLUMNS_MIN_TOKENS || (tokens <= HP_COLUMNS_FEW_TOKENS && fusedLnRuns()) || rowsBlockTokens(tokens)
      : hpColumns;
  // The residual + LayerNorm that also writes x as columns for the next HP linear (subgroup
  // variant only; elsewhere a transpose step does it).
  const addLnCols =
    hpColumns !== false && sparse.size > 0 && opts.quant !== 'int8' && layerNorm === 'subgroup'
      ? (createAddLayerNormColumnsKernel(device, hidden, caps, opts.columnsLayerNormRows ?? 8) ??
        (opts.columnsLayerNormRows ? null : createAddLayerNormColumnsKernel(device, hidden, caps, 4)))
      : null;
  // int8: the residual + LayerNorm that writes the next linear's codes too, as rows or columns
  // (compiled when first needed).
  const int8LnKernels = new Map<string, RowKernel | null>();
  const int8LnFor = (columns: boolean, read: boolean): RowKernel | null => {
    if (opts.quant !== 'int8' || opts.int8LayerNorm === false || layerNorm !== 'subgroup') return null;
    const key = `${columns} ${read}`;
    if (!int8LnKernels.has(key))
      int8LnKernels.set(key, createAddLayerNormInt8Kernel(device, hidden, caps, columns, read));
    return int8LnKernels.get(key)!;
  };
  // Per layer: attention output + LN1 and FFN output + LN2 as one dispatch each (dense or HP),
  // where asked (null: linear, then add-layernorm).
  const fusedOut: (LinearAddLn | null)[][] = model.layers.map((l, i) =>
    (
      [
        [l.attnOut, l.ln1],
        [l.ffnOut, l.ln2],
      ] as const
    ).map(([lin, ln], j) => {
      if (!opts.fuseAddLn) return null;
      const hp = sparse.get(lin.name);
      return createLinearAddLn(device, {
        hidden,
        in: lin.in,
        w: hp ? { kind: 'hp', hp } : { kind: 'dense', weight: lin.weight },
        bias: lin.bias,
        gammaBeta: concatF32(ln.gamma, ln.beta),
        label: `layer ${i} ${j ? 'ffn-out' : 'attn-out'} + ln${hp ? ' (hp)' : ''}`,
      });
    }),
  );
  const e = model.embeddings;
  const weights = {
    word: uploadBuffer(device, e.word, 'encoder.word'),
    position: uploadBuffer(device, e.position, 'encoder.position'),
    tokenType: uploadBuffer(device, e.tokenType, 'encoder.tokenType'),
    embLn: uploadBuffer(device, concatF32(e.ln.gamma, e.ln.beta), 'encoder.embLn'),
    ln: model.layers.map((l, i) => [
      uploadBuffer(device, concatF32(l.ln1.gamma, l.ln1.beta), `encoder.l${i}.ln1`),
      uploadBuffer(device, concatF32(l.ln2.gamma, l.ln2.beta), `encoder.l${i}.ln2`),
    ]),
  };
  // Per-(batch, seq) parameters; rewritten when the shape changes.
  const uniform = (name: string, size = 16) =>
    device.createBuffer({
      label: `encoder.u.${name}`,
      size,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  const uniforms = {
    emb: uniform('emb'),
    ln: uniform('ln'),
    // One a layer: Params.heads carries the layer's live heads.
    attn: model.layers.map((_, i) => uniform(`attn${i}`, attnWords * 4)),
    head: uniform('head'),
    transpose: uniform('transpose'),
    // clsTail: the LayerNorms, transpose and head on the `batch` [CLS] rows, and their gather.
    lnTail: uniform('lnTail'),
    transposeTail: uniform('transposeTail'),
    headTail: uniform('headTail'),
    gather: uniform('gather'),
  };

  /** Submits each forward (in one command buffer, or a few: submitChunks) and records the next one
   *  ahead (forward-submit.ts); its recording is dropped when the buffers it binds are re-allocated. */
  const submitter = createForwardSubmitter(
    device,
    opts.submitChunks ?? SUBMIT_CHUNKS,
    opts.recordSlice ?? RECORD_SLICE,
  );
  /** The record-ahead in flight (run() calls wait for it unless readbackFirst). */
  let recording: Promise<void> = Promise.resolve();
  const readbackFirst = opts.readbackFirst ?? false;
  /** Forwards of a shape readbackFirst keeps recorded ahead: one for the next call, one spare for
   *  a call made as soon as run() returns, before the next event-loop turn records another. */
  const READY_AHEAD = 2;
  /** CPU ms the last finished record-ahead spent recording. */
  let lastRecordMs = 0;

  let capacity = 0;
  let maxBatchAlloc = 0;
  let linears: LayerLinears[] = [];
  /** int8: whether a call of `tokens` runs the fused output linears (int8FuseLn) where built. */
  const int8FusedFor = (tokens: number) =>
    opts.int8FuseLn === true || (opts.int8FuseLn === undefined && tokens >= INT8_FUSE_LN_TOKENS);
  /** int8: the fused output linears of the current allocation (int8FuseLn). */
  const int8HpLnKernels: Int8HpLn[] = [];
  let act: Activations | undefined;
  /** The token inputs (ids, types, mask) share one buffer, so a call uploads them with one write:
   *  three sections of `section` bytes (the storage-offset alignment), staged in `tokenWords`. */
  let section = 0;
  let tokenWords = new Uint32Array(0);
  /** Per layer: the buffers its Q/K/V linears write (one for a fused layer, three otherwise). */
  let qkvOut: GPUBuffer[][] = [];
  let groups: EngineGroups | undefined;
  /** tailPrefetch: the current allocation's read of the tail's and the head's weights. */
  let tailPrefetch: CacheTouch | null = null;

  const int8 = opts.quant === 'int8';
  /** Whether the dense linears get their deferred-LayerNorm halves (deferLn). */
  const splitK: SplitK = opts.splitK ?? (opts.denseDeferLn ? 1 : 'engine');
  const unsplit = splitK === 1;
  const denseDeferLn = (opts.denseDeferLn ?? false) && !int8 && !opts.fuseAddLn && unsplit && hidden % 4 === 0;
  if (int8 && opts.fuseAddLn) throw new RangeError('quant int8 runs the linears unfused (fuseAddLn is f32 only)');
  const { makeLinear, qkvLinears } = engineLinears({
    device,
    caps,
    sparse,
    hidden,
    heads,
    eps,
    int8,
    int8Live,
    reads,
    splitK,
    denseDeferLn,
    hpLive,
    opts,
  });

  function allocate(batch: number, tokens: number): void {
    releaseActivations();
    capacity = tokens;
    maxBatchAlloc = batch;
    linears = model.layers.map((l, i) => ({
      qkv: qkvLinears(qkvPlans[i], l, tokens),
      attnOut: fusedOut[i][0] ? null : makeLinear(l.attnOut, tokens, false, true),
      ffnIn: makeLinear(l.ffnIn, tokens, true, false, ffnInLive(sparse.get(l.ffnOut.name), hpLive)),
      ffnOut: fusedOut[i][1] ? null : makeLinear(l.ffnOut, tokens, false, true),
    }));
    // Split-K linears write up to maxSplitParts(splitK) slices of [tokens, hidden] into `a` (how many
    // depends on the call's token count, so the most any count can take).
    const splits =
      !int8 && splitK !== 1 && linears.some((l) => l.attnOut?.kind === 'dense' || l.ffnOut?.kind === 'dense');
    const slices = splits ? maxSplitParts(splitK) : 1;
    // GPUBufferUsage is read here, not at import: in Node it exists only once nodeGpu() ran.
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const buf = (label: string, floats: number, usage = storage) =>
      device.createBuffer({ label: `encoder.${label}`, size: Math.max(16, floats * 4), usage });
    const align = device.limits.minStorageBufferOffsetAlignment;
    section = Math.ceil(Math.max(16, tokens * 4) / align) * align;
    tokenWords = new Uint32Array((3 * section) / 4);
    const a = (act = {
      tokens: buf('tokens', (3 * section) / 4),
      x: buf('x', tokens * hidden),
      // X as columns (hidden x tokens rounded up to 4), and FFN-in's output as columns in f.
      xt: buf('xt', columnsFloats(hidden, tokens)),
      ctx: buf('ctx', tokens * hidden),
      // clsTail 'split' / 'whole': up to MAX_COLUMN_SPLITS slices of the `batch` [CLS] rows (rowsBlock:
      // of every row, up to its most tokens).
      a: buf(
        'a',
        Math.max(
          slices * tokens,
          clsGather && (splitTail || wholeTail) ? MAX_COLUMN_SPLITS * batch : 0,
          rowsBlocks ? MAX_COLUMN_SPLITS * rowsBlockRows(tokens) : 0,
        ) * hidden,
      ),
      f: buf('f', columnsFloats(ffn, tokens)),
      // The deferred LayerNorm's row statistics (DenseDeferredLn).
      stats: buf('stats', denseDeferLn ? tokens * deferredSlots(hidden) * 4 : 4),
      logits: buf('logits', batch * head.shares * labels),
      // clsTail: x and the context of the [CLS] rows.
      clsX: buf('clsX', clsGather ? batch * hidden : 4),
      clsCtx: buf('clsCtx', clsGather ? batch * hidden : 4),
      // clsTailLinears 'whole': the [CLS] rows' first LayerNorm, the residual the head adds.
      clsH: buf('clsH', wholeTail ? batch * hidden : 4),
      // rowsBlock: x's other buffer (layers alternate between x and x2: each block writes its
      // LayerNorm's output to the other one, which the residual + LayerNorm after it then holds).
      x2: buf('x2', rowsBlocks ? rowsBlockRows(tokens) * hidden : 4),
      readback: buf('readback', batch * head.shares * labels, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
    });
    const size = Math.max(16, tokens * 4);
    const ins = {
      ids: { buffer: a.tokens, offset: 0, size },
      types: { buffer: a.tokens, offset: section, size },
      mask: { buffer: a.tokens, offset: 2 * section, size },
    };
    // Layers with the same Q/K/V layout share their buffers (they run one after another).
    const qkvBuffers = new Map<string, GPUBuffer[]>();
    qkvOut = qkvPlans.map((p) => {
      const key = JSON.stringify(p.layout);
      let bufs = qkvBuffers.get(key);
      if (!bufs)
        qkvBuffers.set(
          key,
          (bufs =
            p.mode === 'fused'
              ? [buf('qkv', tokens * p.layout.stride)]
              : ['q', 'k', 'v'].map((n) => buf(n, tokens * hidden))),
        );
      return bufs;
    });
    /** int8: output linear j of layer i fused with its LayerNorm and the next linear's codes. */
    const int8HpLnKernel = (i: number, j: number) => {
      const lin = j === 0 ? model.layers[i].attnOut : model.layers[i].ffnOut;
      const hp = sparse.get(lin.name);
      if (!int8 || !hp || !int8FusedFor(tokens) || layerNorm !== 'subgroup') return null;
      const nextLin = j === 0 ? linears[i].ffnIn : linears[i + 1] ? linears[i + 1].qkv : undefined;
      const next = Array.isArray(nextLin) ? (nextLin.length === 1 ? nextLin[0] : null) : nextLin;
      const q = next === undefined ? null : next?.int8Input;
      if (next !== undefined && q?.columnWords !== int8ColumnWords(tokens)) return null;
      const quant = hp.quant?.bits === 8 ? hp.quant : quantizeHP(hp, 8);
      const label = `layer ${i} ${j ? 'ffn-out' : 'attn-out'} (hp int8)`;
      // --hp-ln-tile names the int8 fused kernel's tile too (whole or per shape; 'off': unfused).
      const tile = shapeTile(opts.hpLnTile, lin.in, lin.out);
      if (tile === 'off') return null;
      const read = reads.has(lin.name);
      const o = { bias: lin.bias, codes: Boolean(q), label, tile, read, nextRead: q?.read };
      const kernel = createInt8HpLn(device, caps, hp, quant, o);
      if (!kernel) return null;
      int8HpLnKernels.push(kernel);
      return { kernel, next: q };
    };
    const int8Fused = linears.map((_, i) => [int8HpLnKernel(i, 0), int8HpLnKernel(i, 1)]);
    tailPrefetch = opts.tailPrefetch ? createTailPrefetch() : null;
    groups = bindForward({
      ...forwardParts,
      device,
      ffn,
      hpFuseLn,
      hpLnTile: opts.hpLnTile,
      tokens,
      act: a,
      ins,
      linears,
      qkvOut,
      uniforms,
      weights,
      int8LnFor,
      int8Fused,
    });
    lastShape = '';
  }

  /** The last shape's steps: building the list (closures over the buffers and bind groups of
   *  this allocation) was ~15 % of recording a B=1 forward on a slow CPU; reused until allocate(). */
  let recorded: { shape: string; steps: Step[] } | null = null;
  /** tailPrefetch's read: the last layer's output-side weights (the whole tail's own copy, or its linears',
   *  where each exposes them) and the head's, the largest MAX_TOUCHED buffers; null where a linear does
   *  not expose its buffers (int8). */
  function createTailPrefetch(): CacheTouch | null {
    const last = linears[linears.length - 1];
    const outputs = [last.attnOut, last.ffnIn, last.ffnOut].filter((l): l is GpuLinear => l !== null);
    if (!wholeTail && outputs.some((l) => !l.weights)) return null;
    const buffers = wholeTail ? wholeTail.weights : outputs.flatMap((l) => l.weights!);
    return createCacheTouch(device, largestBuffers([...buffers, ...head.weights]), 'encoder.tail-prefetch');
  }

  function releaseActivations(): void {
    submitter.drop();
    recorded = null;
    tailPrefetch?.destroy();
    tailPrefetch = null;
    for (const l of linears) for (const lin of layerLinears(l)) lin.destroy();
    linears = [];
    for (const k of int8HpLnKernels.splice(0)) k.destroy();
    if (act) for (const b of Object.values(act)) b.destroy();
    for (const b of new Set(qkvOut.flat())) b.destroy();
    qkvOut = [];
    act = undefined;
    groups = undefined;
  }

  let lastShape = '';
  function prepare(batch: number, seq: number): void {
    if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seq) || seq < 1)
      throw new RangeError(`batch and seq must be positive integers, got ${batch} x ${seq}`);
    if (seq > model.config.maxPositions)
      throw new RangeError(`seq ${seq} exceeds the model's ${model.config.maxPositions} positions`);
    const tokens = batch * seq;
    if (!act || tokens > capacity || batch > maxBatchAlloc)
      allocate(Math.max(batch, maxBatchAlloc), Math.max(tokens, capacity));
    const shape = `${batch}x${seq}`;
    if (shape === lastShape) return;
    lastShape = shape;
    const words = (u: number[], f: Record<number, number> = {}) => {
      const a = new Uint32Array(4);
      a.set(u);
      const fl = new Float32Array(a.buffer);
      for (const [i, v] of Object.entries(f)) fl[Number(i)] = v;
      return a;
    };
    device.queue.writeBuffer(uniforms.emb, 0, words([tokens, seq], { 2: eps }));
    // The int8 LayerNorm's column pitch (tw: the int8 linears' columns, for the capacity).
    device.queue.writeBuffer(uniforms.ln, 0, words([tokens, int8ColumnWords(capacity)], { 2: eps }));
    uniforms.attn.forEach((u, i) => device.queue.writeBuffer(u, 0, attnParams(seq, headsRun(i, tokens))));
    device.queue.writeBuffer(uniforms.head, 0, words([seq]));
    device.queue.writeBuffer(uniforms.transpose, 0, words([tokens, hidden]));
    // clsTail: `batch` rows, one a sequence.
    device.queue.writeBuffer(uniforms.lnTail, 0, words([batch, int8ColumnWords(capacity)], { 2: eps }));
    device.queue.writeBuffer(uniforms.transposeTail, 0, words([batch, hidden]));
    device.queue.writeBuffer(uniforms.headTail, 0, words([1, batch], { 2: eps }));
    device.queue.writeBuffer(uniforms.gather, 0, words([batch, seq]));
  }

  /** A dense linear's deferred-LayerNorm halves, where they run for `tokens`. */
  const deferredLnOf = (l: GpuLinear | null, tokens: number) =>
    l?.kind === 'dense' && l.deferLn?.available(tokens) ? l.deferLn : null;
  /** Whether a call of `tokens` runs with its LayerNorms deferred (denseDeferLn: every layer dense
   *  on register tiles, Q/K/V stacked). */
  const deferredFor = (tokens: number) =>
    denseDeferLn &&
    linears.every(
      (l) => l.qkv.length === 1 && [l.qkv[0], l.attnOut, l.ffnIn, l.ffnOut].every((x) => deferredLnOf(x, tokens)),
    );

  const tailHp = model.layers.length > 0 && sparse.has(model.layers[model.layers.length - 1].ffnIn.name);
  /** Whether a batch x seq call runs the last layer on its [CLS] rows (clsTail). int8 takes f32's
   *  thresholds (H200: B=32 L=128 dense and HP 90 %, dense B=1 L=128; BENCHMARKS.md, int8 fourteenth pass). */
  const tailFor = (batch: number, seq: number) =>
    clsGather !== null &&
    seq > 1 &&
    !deferredFor(batch * seq) &&
    (clsTail === true || !tailHp || wholeTail !== null || batch * seq >= CLS_TAIL_MIN_TOKENS_HP);

  /** The most rows a call of up to `tokens` runs rowsBlock on (forced: every call). */
  const rowsBlockRows = (tokens: number) =>
    opts.rowsBlock === true ? tokens : Math.min(tokens, ROWS_BLOCK_MAX_TOKENS);
  /** Whether a call runs rowsBlock: few tokens, the tail (whole), and every later layer's Q/K/V one HP
   *  linear on columns (it reads xt, which the block's LayerNorm writes, not x). */
  const rowsBlockFor = (batch: number, seq: number) =>
    rowsBlocks !== null &&
    tailFor(batch, seq) &&
    columnsFor(batch * seq) &&
    linears.slice(1).every((l) => l.qkv.length === 1 && l.qkv[0].columns) &&
    rowsBlockTokens(batch * seq);

  /** What forward-steps.ts builds the forward's dispatches from (with the current allocation). */
  const forwardParts: ForwardKernels & ForwardRules = {
    hidden,
    heads,
    int8,
    embeddings,
    embeddingsCols,
    embeddingsWideCols,
    transpose,
    addLn,
    addLnCols,
    layerAttention,
    clsAttention,
    clsCompact,
    clsGather,
    wholeTail,
    rowsBlocks,
    splitTail,
    tailSplitKc,
    tailHeadLn,
    head,
    fusedOut,
    lnWeights: weights.ln,
    headsRun,
    tailFor,
    columnsFor,
    rowsBlockFor,
    deferredLnOf,
    deferredFor,
    int8FusedFor,
  };

  /** The forward's steps for a shape (the last shape's kept until allocate()). */
  function stepsFor(batch: number, seq: number): Step[] {
    const shape = `${batch}x${seq}`;
    if (recorded?.shape !== shape) {
      const allocation = { act: act!, groups: groups!, linears, qkvOut, tailPrefetch };
      recorded = { shape, steps: forwardSteps({ ...forwardParts, ...allocation }, batch, seq) };
    }
    return recorded.steps;
  }

  /** Records the whole forward for the current shape into one compute pass. */
  function record(pass: GPUComputePassEncoder, batch: number, seq: number): void {
    for (const s of stepsFor(batch, seq)) s.encode(pass);
  }

  /** Random token ids and a full mask, uploaded for timing. */
  function uploadRandom(batch: number, seq: number): void {
    const n = batch * seq;
    const ids = new Int32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) ids[i] = (s = (s * 1103515245 + 12345) >>> 0) % model.config.vocab;
    upload(ids, new Int32Array(n).fill(1), null, batch, seq);
  }

  function upload(
    inputIds: IdArray,
    attentionMask: IdArray,
    tokenTypeIds: IdArray | null | undefined,
    batch: number,
    seq: number,
  ): void {
    const n = batch * seq;
    const w = section / 4;
    tokenWords.set(toTokenWords(inputIds));
    if (tokenTypeIds) tokenWords.set(toTokenWords(tokenTypeIds), w);
    else tokenWords.fill(0, w, w + n);
    tokenWords.set(toTokenWords(attentionMask), 2 * w);
    device.queue.writeBuffer(act!.tokens, 0, tokenWords, 0, 2 * w + n);
  }

  let busy: Promise<unknown> = Promise.resolve();
  /** One call at a time: calls share the activation buffers, which the forward being recorded
   *  ahead binds too, so the next call also waits for that recording. */
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = busy.then(f, f);
    // readbackFirst: a call does not wait for a recording (runOnce).
    const settled = () => (readbackFirst ? undefined : recording);
    busy = next.then(settled, settled).catch(() => undefined);
    return next;
  };

  /** Bytes of the head's output for `batch` sequences: each sequence's shares of its logits. */
  const logitBytes = (batch: number) => batch * head.shares * labels * 4;
  /** The logits' copy to the readback buffer, at the end of the forward's last command buffer. */
  const copyLogits = (batch: number) => (enc: GPUCommandEncoder) =>
    enc.copyBufferToBuffer(act!.logits, 0, act!.readback, 0, logitBytes(batch));
  /** The mapped readback's logits (the head's shares added), then unmapped. */
  const readLogits = (a: NonNullable<typeof act>, batch: number): Float32Array => {
    const raw = new Float32Array(a.readback.getMappedRange(0, logitBytes(batch)));
    const logits = sumHeadShares(raw, batch, head.shares, labels);
    a.readback.unmap();
    return logits;
  };

  const nudge = opts.nudgeReadback ?? nudgeByDefault(caps);
  /** performance.now() right after the last forward's last submit (timing splits run()'s wall time). */
  let submittedAt = 0;
  /** readbackFirst: records forwards of `shape` ahead until READY_AHEAD are ready, one an event-loop
   *  turn, starting after the caller of the run that started it has run on (so a call it makes at
   *  once finds one ready); stops when the buffers or the shape change. */
  async function refill(a: typeof act, shape: string, steps: Step[], finish: (enc: GPUCommandEncoder) => void) {
    const wanted = () => !destroyed && act === a && lastShape === shape && submitter.ready(shape) < READY_AHEAD;
    while (wanted()) {
      await nextTurn();
      if (!wanted()) return;
      lastRecordMs = await submitter.recordAhead(shape, steps, finish);
    }
  }

  async function runOnce(batch: number, seq: number): Promise<Float32Array> {
    // readbackFirst: with none ready, submit() records this call's own (a refill still recording,
    // sliced over turns, only queues its forward when whole).
    if (!readbackFirst) await recording;
    const a = act!;
    const shape = `${batch}x${seq}`;
    const steps = stepsFor(batch, seq);
    const finish = copyLogits(batch);
    submitter.submit(shape, steps, finish);
    submittedAt = performance.now();
    const mapped = a.readback.mapAsync(GPUMapMode.READ, 0, logitBytes(batch));
    if (readbackFirst) {
      await (nudge ? nudged(device, mapped) : mapped);
      const logits = readLogits(a, batch);
      recording = refill(a, shape, steps, finish).catch(() => undefined);
      return logits;
    }
    // While the GPU runs this forward, the CPU records the next one for the same shape, so a
    // caller that runs that shape again (the sentences of a page, a benchmark) only uploads its
    // tokens and submits (BENCHMARKS.md, issue 19).
    // A recording that fails leaves nothing ahead: the next call records its own forward (and
    // meets the same error there, as its own).
    recording = submitter.recordAhead(shape, steps, finish).then(
      (ms) => {
        lastRecordMs = ms;
      },
      () => undefined,
    );
    await (nudge ? nudged(device, mapped) : mapped);
    return readLogits(a, batch);
  }

  allocate(opts.maxBatch, opts.maxBatch * opts.maxSeq);
  let destroyed = false;
  const sparseLinears = [...sparse.keys()];

  return {
    hidden,
    labels,
    sparseLinears,
    get linearWeightBytes() {
      const fused = fusedOut.flat().reduce((n, f) => n + (f?.weightBytes ?? 0), 0);
      return fused + linears.reduce((n, l) => n + layerLinears(l).reduce((m, lin) => m + lin.weightBytes, 0), 0);
    },
    get weightBytes() {
      const tables = e.word.length + e.position.length + e.tokenType.length;
      // The [CLS] tail's and rowsBlock's kernels keep their own copies of the output-side weights.
      const copies = [wholeTail, ...(rowsBlocks ?? [])].reduce((n, k) => n + (k?.weightBytes ?? 0), 0);
      return this.linearWeightBytes + tables * 4 + head.weights.reduce((n, b) => n + b.size, 0) + copies;
    },
    run(inputIds, attentionMask, tokenTypeIds, batch, seq) {
      return serial(async () => {
        if (destroyed) throw new Error('the encoder engine was destroyed');
        validateEngineInputs(model, inputIds, attentionMask, tokenTypeIds, batch, seq);
        prepare(batch, seq);
        upload(inputIds, attentionMask, tokenTypeIds, batch, seq);
        return runOnce(batch, seq);
      });
    },
    time(batch, seq, reps = 50, warmup = 5, budgetMs = 4000) {
      return serial(async () => {
        if (destroyed) throw new Error('the encoder engine was destroyed');
        prepare(batch, seq);
        uploadRandom(batch, seq);
        // One probe run sizes the measurement: a software adapter can take seconds per forward,
        // so the repetitions shrink to fit the time budget (never below 3).
        const t0 = performance.now();
        await runOnce(batch, seq);
        const probeMs = performance.now() - t0;
        const fit = Math.max(3, Math.floor(budgetMs / 2 / Math.max(probeMs, 1e-3)));
        reps = Math.min(reps, fit);
        warmup = Math.min(warmup, Math.max(0, fit - reps));
        const gpu = await timeCompute(device, (pass) => record(pass, batch, seq), {
          reps,
          warmup,
          minSampleMs: FORWARD_SAMPLE_MS,
        });
        // Wall time of what run() does after validation (upload, forward, readback); the probe
        // run is left out: it may include first-use costs. Back to back: each run right after
        // the last (it waits for the next forward's recording, if still going); idle: a run
        // after the engine finished its work (the forward recorded ahead in the pause before).
        const runs: number[] = [];
        const submits: number[] = [];
        const records: number[] = [];
        const uploads: number[] = [];
        const idle: number[] = [];
        const ids = new Int32Array(batch * seq).fill(101);
        const mask = new Int32Array(batch * seq).fill(1);
        // These get the other half of the budget, but at least as many runs as the timed forwards up
        // to 3: a software adapter takes seconds a forward, and one run's wall time on a busy CPU read
        // below the median GPU time of the same forward (the page's Run on my GPU, SwiftShader in CI).
        const wallRuns = Math.max(Math.min(reps, 3), Math.min(reps, 20, Math.floor(budgetMs / 4 / gpu.msMedian)));
        for (let i = 0; i < wallRuns; i++) {
          const t0 = performance.now();
          upload(ids, mask, null, batch, seq);
          uploads.push(performance.now() - t0);
          await runOnce(batch, seq);
          runs.push(performance.now() - t0);
          submits.push(submittedAt - t0);
          if (i > 0) records.push(lastRecordMs); // the last run's record-ahead, which this one awaited
        }
        await recording;
        records.push(lastRecordMs);
        // A software adapter's budget leaves no idle runs (null).
        const idleRuns = Math.min(wallRuns, Math.floor(budgetMs / 4 / gpu.msMedian));
        for (let i = 0; i < idleRuns; i++) {
          await recording;
          await nextTurn();
          const t0 = performance.now();
          upload(ids, mask, null, batch, seq);
          await runOnce(batch, seq);
          idle.push(performance.now() - t0);
        }
        const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1];
        return {
          ...gpu,
          batch,
          seq,
          runMsMedian: median(runs),
          idleRunMsMedian: idle.length ? median(idle) : null,
          submitMsMedian: median(submits),
          recordMsMedian: median(records),
          uploadMsMedian: median(uploads),
        };
      });
    },
    qkvModes: qkvPlans.map((p) => p.mode),
    fusedAddLn: fusedOut.flat().filter(Boolean).length,
    layerNorm,
    kernelVariants(tokens) {
      const counts: Record<string, number> = {};
      linears.forEach((l, i) => {
        for (const lin of layerLinears(l)) {
          const t = Math.min(tokens, lin.maxTokens);
          // Deferred LayerNorms: the attention output and FFN-out (but the last) write statistics,
          // Q/K/V (but the first) and FFN-in normalise.
          if (deferredFor(t)) {
            const stats = lin === l.attnOut || (lin === l.ffnOut && i < linears.length - 1);
            const norm = lin === l.ffnIn || (lin === l.qkv[0] && i > 0);
            const name = `${lin.tileFor(t)}${stats ? ' +stats' : norm ? ' +norm' : ''}`;
            counts[name] = (counts[name] ?? 0) + 1;
            continue;
          }
          // What steps() runs on columns: a fused Q/K/V, FFN-in, and FFN-out after a columns FFN-in.
          const onCols =
            columnsFor(t) &&
            lin.columns &&
            (lin === l.ffnIn || (lin === l.ffnOut && l.ffnIn.columns) || (l.qkv.length === 1 && lin === l.qkv[0]));
          // With hpFuseLn, the attention output and FFN-out after a columns FFN-in run fused with their LayerNorm.
          const ln =
            columnsFor(t) &&
            hpFuseLn &&
            !int8 &&
            lin.columns?.addLn &&
            (lin === l.attnOut || (lin === l.ffnOut && l.ffnIn.columns));
          const int8Ln = int8FusedFor(t) && groups?.int8HpLn[i][lin === l.attnOut ? 0 : lin === l.ffnOut ? 1 : 2];
          const name = int8Ln
            ? `int8 hp+ln ${int8Ln.kernel.tile}`
            : ln
              ? `columns+ln ${lin.columns!.addLn!.tileFor(t)}`
              : onCols
                ? `columns ${lin.columns!.tileFor(t)}`
                : lin.tileFor(t);
          counts[name] = (counts[name] ?? 0) + 1;
        }
      });
      return counts;
    },
    int8LayerNorms() {
      const fusedLn = groups?.int8HpLn.flat() ?? [];
      const all = (groups?.lnInt8.flat() ?? []).filter((q, k) => q && !fusedLn[k]);
      const columns = all.filter((q) => q!.next.columnWords > 0).length;
      return { rows: all.length - columns, columns, fused: fusedLn.filter(Boolean).length };
    },
    profile(batch, seq, reps = 30, warmup = 3, detail = {}) {
      return serial(async () => {
        if (destroyed) throw new Error('the encoder engine was destroyed');
        prepare(batch, seq);
        uploadRandom(batch, seq);
        return profileSteps(device, stepsFor(batch, seq), { reps, warmup, minSampleMs: FORWARD_SAMPLE_MS, ...detail });
      });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      releaseActivations();
      head.destroy();
      wholeTail?.destroy();
      for (const k of rowsBlocks ?? []) k.destroy();
      for (const f of fusedOut.flat()) f?.destroy();
      for (const b of [
        weights.word,
        weights.position,
        weights.tokenType,
        weights.embLn,
        ...weights.ln.flat(),
        ...Object.values(uniforms).flat(),
      ])
        b.destroy();
    },
  };
}

function checkModel(model: BertModel): void {
  const { hidden, heads, ffn, layers } = model.config;
  if (hidden % heads !== 0) throw new RangeError(`hidden ${hidden} is not a multiple of heads ${heads}`);
  if (model.layers.length !== layers)
    throw new RangeError(`config says ${layers} layers, the model has ${model.layers.length}`);
  model.layers.forEach((l, i) => {
    for (const [kind, out, inn] of [
      ['q', hidden, hidden],
      ['k', hidden, hidden],
      ['v', hidden, hidden],
      ['attnOut', hidden, hidden],
      ['ffnIn', ffn, hidden],
      ['ffnOut', hidden, ffn],
    ] as const) {
      if (l[kind].out !== out || l[kind].in !== inn)
        throw new RangeError(`layer ${i} ${kind} is ${l[kind].out}x${l[kind].in}, expected ${out}x${inn}`);
    }
  });
}
