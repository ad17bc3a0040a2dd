// The whole BERT classifier on WebGPU: embeddings, every encoder layer (Q/K/V as one linear,
// fused attention, attention output, residual + LayerNorm, FFN with fused GELU, residual +
// LayerNorm), pooler and classifier, for B padded sequences of length L in one compute pass and
// one submit. Each prunable linear runs on the HP-sparse kernel when `sparse` has an HPMatrix for
// it (by Linear.name), on the dense kernel otherwise (gpu/kernels); a layer's Q, K and V run as
// one stacked linear when all three are dense or all three HP on one grid (qkv-plan.ts), as
// three otherwise. Weights are uploaded once; activation buffers are allocated for
// maxBatch x maxSeq tokens and reused, and grow (with the linears re-created) only when a call
// needs more tokens. `profile` times each kind of op on its own (op-profile.ts).
import type { GpuCapabilities } from '../adapter';
import type { BertModel, Linear } from '../../core/model/bert-types';
import { prunableLinears } from '../../core/model/bert-types';
import type { HPMatrix } from '../../core/formats/hp';
import { createDenseLinear, createHPLinear, type GpuLinear, type WeightPrecision } from '../kernels';
import type { LiveOutputs } from '../kernels/linear-types';
import { deferredSlots, maxSplitParts, type SplitK } from '../kernels/variant-rule';
import {
  HP_COLUMNS_FEW_TOKENS,
  HP_COLUMNS_MIN_TOKENS,
  MAX_COLUMN_SPLITS,
  columnsFloats,
  createColumnsTranspose,
} from '../kernels/hp-columns';
import { createInt8GpuLinear } from '../kernels/int8-gpu-linear';
import { createInt8HpLn, type Int8HpLn } from '../kernels/int8-hp-ln';
import { int8ColumnWords } from '../kernels/int8-transpose';
import {
  DEFAULT_INT8_SCALE,
  INT8_SCALES,
  quantizeHP,
  quantizeRows,
  readColumns,
  type Int8Scale,
} from '../../core/quant';
import { timeCompute, type GpuTiming } from '../timing';
import {
  createAddLayerNormColumnsKernel,
  createAddLayerNormInt8Kernel,
  createAddLayerNormKernel,
  createClsGatherKernel,
  type COLUMNS_LN_ROWS,
  createEmbeddingsColumnsKernel,
  createEmbeddingsKernel,
  defaultLayerNormVariant,
  type LayerNormVariant,
  type RowKernel,
} from './row-ops';
import { createAttentionKernel, type AttentionKernel, type QkvLayout } from './attention';
import { createInt8AttentionKernel } from './attention-int8';
import { createInt8MatrixAttentionKernel } from './attention-int8-matrix';
import { planQkv, type QkvPlan } from './qkv-plan';
import { ffnInLive, HP_LIVE_MODES, liveHeads, qkvLive, type HPLiveMode, type LiveHeads } from './live-outputs';
import { profileSteps, type EncoderProfile, type OpKind, type ProfileDetail, type Step } from './op-profile';
import { createHeadKernel, sumHeadShares } from './head';
import { createClsAttention } from './attention-cls';
import { createLinearAddLn, type LinearAddLn } from './linear-addln';
import { shapeTile } from '../kernels/hp-columns-ln';
import { bindBuffers, concatF32, uploadBuffer, type BufferArg, type KernelLayout } from '../kernel';
import { createHpTail, hpTailFits, wholeTailLayer, type TailBuffers, type TailLayer } from './tail-hp';
import { toTokenWords, validateEngineInputs, type IdArray } from './inputs';
import { createForwardSubmitter, nextTurn, RECORD_SLICE, SUBMIT_CHUNKS } from './forward-submit';
import { nudgeByDefault, nudged } from '../readback-floor';

export interface EncoderEngineOptions {
  /** HP matrices by Linear.name (e.g. "layer.0.attention.q" as the loader names them); the
   *  rest run dense with the model's own weights. */
  sparse?: Map<string, HPMatrix> | null;
  /** Capacity allocated up front; larger calls re-allocate. */
  maxBatch: number;
  maxSeq: number;
  /** Force a tile config of the linear kernels (benchmarks); with quant 'int8', the int8
   *  kernels' variant names (int8-linear.ts). For the f32 dense kernel also per shape:
   *  'INxOUT=TILE,…' (e.g. '312x936=128x128/8x8/2d'; shapes not named keep the automatic choice). */
  denseTile?: string;
  hpTile?: string;
  /** How the linears' weights are stored on the GPU ('f16': half the bytes, f32 math; dense
   *  layers whose input width is not a multiple of 4 stay f32). Default 'f32'. */
  weights?: WeightPrecision;
  /** Run each attention-output and FFN-output linear (dense or HP) fused with its bias, the
   *  residual and LayerNorm (linear-addln.ts: one dispatch instead of two). Default false: exact,
   *  but on the H200 the forward took 2-14x the unfused engine's earlier times (BENCHMARKS.md, issue 19). */
  fuseAddLn?: boolean;
  /** The attention kernel's variant (attention.ts, ATTENTION_VARIANTS; benchmarks), or one a layer
   *  joined by '/' (the last repeated for the layers after it). */
  attention?: string;
  /** How the residual + LayerNorm kernel reduces a row (row-ops.ts; default: 'subgroup' where
   *  the device allows it, else 'tree'). */
  layerNorm?: LayerNormVariant;
  /** Split-K of the dense attention-output and FFN-output linears, whose K-slices the residual +
   *  LayerNorm adds (DenseLinearOptions.splitK): a count for every call, 'auto' (variant-rule.ts
   *  pickDenseSplit, per token count: slower in the H200's forward, BENCHMARKS.md issue 19 fifth and
   *  eleventh passes) or 'engine', the default: 2 slices from 4096 tokens a call (H200, B=32 L=128:
   *  the dense forward 1.5073 -> 1.4909 ms), else unsplit (variant-rule.ts ENGINE_SPLIT_*). With
   *  denseDeferLn the default is 1 (the deferred LayerNorm reads whole sums). */
  splitK?: SplitK;
  /** Run the HP Q/K/V, FFN-in and FFN-out linears on X as columns (hp-columns.ts: the residual +
   *  LayerNorm before Q/K/V and FFN-in writes x as columns too, a transpose step where it cannot;
   *  FFN-in writes its output as columns for FFN-out): true, false, or 'auto' (default: from
   *  HP_COLUMNS_MIN_TOKENS tokens a call, 512; H200 B=32 L=128 HP 90 % 0.577 ms against 0.590 on
   *  rows, BENCHMARKS.md, issue 19 sixth pass, 3-7 % less at 768-1536 tokens, nineteenth; and up
   *  to HP_COLUMNS_FEW_TOKENS where the output linears run fused with their LayerNorm on the
   *  few-token tile: B=1 L=128 0.172 ms in 22 dispatches against 0.175 in 30, tenth pass). */
  hpColumns?: boolean | 'auto';
  /** Force the columns kernel's tile (hp-columns.ts COLUMN_TILES, optionally '/kN'). */
  hpColumnTile?: string;
  /** Where the HP linears run on columns, run the HP attention-output and FFN-output linears
   *  fused with their residual + LayerNorm (hp-columns-ln.ts: one dispatch instead of two, needs
   *  subgroups of one size). Default true: H200, HP 90 %, B=32 L=128 0.516 ms against 0.526, B=32
   *  L=64 0.285 against 0.292 (BENCHMARKS.md, issue 19 eighth pass). */
  hpFuseLn?: boolean;
  /** Force the fused kernel's tile (hp-columns-ln.ts COLUMNS_LN_TILES, optionally '/kN'). */
  hpLnTile?: string;
  /** What the columns kernel skips of the HP Q/K/V and FFN-in outputs no later kernel reads, and
   *  the attention heads whose context the HP attention output does not read (and their Q/K outputs)
   *  (live-outputs.ts; exact: the outputs read are the same sums): 'off', 'rows' (the tile-rows with
   *  none read), 'mask' (also the stores of the other unread outputs), 'auto' (default: 'rows' from
   *  LIVE_MIN_TOKENS tokens a call). H200, B=32 L=128 HP 90 %, one process (BENCHMARKS.md, issue 19
   *  twelfth pass): forward 0.4874-0.4895 ms on 'rows' against 0.5038 'off' and 0.4936 'mask'; Q/K/V
   *  0.0494-0.0497 (0.0544 off), FFN-in 0.0748-0.0752 (0.0847 off, 0.0786 mask); with the heads too
   *  (lead, same pass) 0.4628 against 0.4956 'off' (attention 0.1372 against 0.1532). */
  hpLive?: HPLiveMode;
  /** Where every layer runs dense on register tiles (Q/K/V stacked, unsplit), defer each residual
   *  + LayerNorm but the last to the linear after it (DenseDeferredLn: the attention output and
   *  FFN-out write their rows' statistics, Q/K/V and FFN-in normalise as they read): 7 dispatches
   *  fewer in TinyBERT's forward. Default false: H200, B=32 L=128 dense forward 1.688 ms against
   *  1.507 (the LayerNorms' 0.037 ms saved, every linear 8-21 % slower; BENCHMARKS.md, issue 19
   *  tenth pass). */
  denseDeferLn?: boolean;
  /** Zero rows after the stacked HP Q/K/V blocks: a row pitch of 3 blocks + qkvPad floats (960 ->
   *  968 at TinyBERT's 32-row tiles; the attention kernels read 64-float-multiple rows slower, part
   *  B's note in BENCHMARKS.md, issue 19 fifth pass). A multiple of 4, or 'auto' (the default, f32
   *  and int8): QKV_AUTO_PAD where the stacked rows would be a multiple of 64 floats (qkv-plan.ts).
   *  H200, B=32 L=128 HP 90 %: attention 0.198 -> 0.186 ms with 8 (issue 19 seventh pass). */
  qkvPad?: number | 'auto';
  /** Rows a workgroup of the LayerNorm that writes the columns (row-ops.ts COLUMNS_LN_ROWS). Default
   *  8 where it fits the device's workgroup memory, else 4: H200, B=32 L=128 HP 90 %, 8 LayerNorms
   *  0.074 ms at 4 rows, 0.052 at 8, 0.054 at 16 (BENCHMARKS.md, issue 19 seventh pass). */
  columnsLayerNormRows?: (typeof COLUMNS_LN_ROWS)[number];
  /** How x reaches the first Q/K/V on columns above HP_COLUMNS_FEW_TOKENS tokens: 'subgroup' (the
   *  default where the subgroup LayerNorm fits) has the embeddings write it, a subgroup a row
   *  (embeddings-subgroup-cols.wgsl); 'transpose' runs a transpose step after them (the form
   *  before). At fewer tokens embeddings.wgsl writes the columns itself either way. */
  embeddingsColumns?: 'subgroup' | 'transpose';
  /** 'int8': every encoder linear in W8A8 (weights per output row, activations quantized per
   *  token on the GPU; int8-gpu-linear.ts), the rest f32: core/quant's integer model. */
  quant?: 'int8';
  /** With quant 'int8': each token's activation scale over its whole row ('row') or over the
   *  columns the next linear reads ('read': core/quant quantizeBert's `scale`, the same codes bit for
   *  bit; 'read-out': at the attention output's and FFN-out's inputs alone); with either the engine
   *  also leaves out what no read column needs, as f32 does (hpLive: the
   *  attention's dead heads and unread value dims, FFN-in's and V's dead tile-rows). Default
   *  DEFAULT_INT8_SCALE. */
  int8Scale?: Int8Scale;
  /** With quant 'int8': the residual + LayerNorms before Q/K/V and FFN-in also write the int8
   *  codes and scales those linears read (add-layernorm-int8.wgsl), so they skip their quantize
   *  pass. Default true where it fits (subgroup LayerNorm, hidden a multiple of 4). */
  int8LayerNorm?: boolean;
  /** With quant 'int8': each HP attention-output and FFN-output linear fused with its input's
   *  quantizer, the residual + LayerNorm and the next linear's codes (int8-hp-ln.ts: one dispatch
   *  instead of four), where the next linear reads its codes as columns (or none follows) and
   *  subgroups have one size. true: at every call; false: never; default: from INT8_FUSE_LN_TOKENS
   *  tokens a call (H200, B=32 L=128 HP 90 %, BENCHMARKS.md int8 session 12: forward 0.5509 ms
   *  fused (l16w) against 0.5714 unfused in one process, 0.5673 against 0.5816 in two calls; fewer
   *  tokens not measured). */
  int8FuseLn?: boolean;
  /** With quant 'int8': the attention in integer arithmetic too (core/quant's int-attention.ts,
   *  quantizeBert's attention 'int8'), sequences up to maxSeq: true / 'dot4' on dot4I8Packed
   *  (attention-int8.ts), 'matrix' on subgroup matrices (attention-int8-matrix.ts). Default false:
   *  both are slower than the f32 attention on the H200 (BENCHMARKS.md int8 sessions 8, 9); both
   *  equal the CPU reference there (the 'matrix' form since session 10's fix of its c). */
  int8Attention?: boolean | 'dot4' | 'matrix';
  /** Dispatches in each command buffer of a forward before the last (forward-submit.ts; [] = the
   *  forward in one command buffer, the default: chunks made back-to-back runs slower on the H200). */
  submitChunks?: readonly number[];
  /** Dispatches the next forward's recording ahead takes per event-loop turn (forward-submit.ts;
   *  0 = a command buffer in one go), so a run's logits are seen while it is still recording. */
  recordSlice?: number;
  /** Read a run's logits back before recording the next forward ahead: the next one is recorded on
   *  the event loop's next turn after run() returns, and a second stays queued, so back-to-back
   *  calls still find one ready (forward-submit.ts). Default false: the next forward is recorded
   *  between this run's submit and its readback, which costs a run nothing while recording is
   *  shorter than the GPU's forward. */
  readbackFirst?: boolean;
  /** While run() waits for its logits, submit an empty batch every event-loop turn
   *  (readback-floor.ts nudged): browsers' GPU processes notice finished work late otherwise.
   *  Default: nudgeByDefault (in a browser, on a hardware adapter). */
  nudgeReadback?: boolean;
  /** Invocations a query of the int8 attention (keys split between them); default 1. */
  int8AttentionSplits?: 1 | 2 | 4;
  /** Run the last layer's attention output, FFN and LayerNorms on the [CLS] rows alone: the head
   *  reads token 0 of each sequence and nothing else, so the other rows of the last layer are
   *  computed for nothing. A gather (cls-gather.wgsl) copies each sequence's row of the context
   *  and of x to `batch` compact rows, which the last layer's output linears then run on (exact:
   *  the same sums for the rows read). true, false, or 'auto' (default: sequences longer than 1,
   *  every call where the last FFN-in is dense or the tail's HP linears run whole (clsTailLinears),
   *  from CLS_TAIL_MIN_TOKENS_HP tokens where they run otherwise).
   *  Not where the LayerNorms are deferred. With quant 'int8' too (its linears quantize each row on
   *  its own: the [CLS] rows' codes and sums are the same), the tail's LayerNorms writing FFN-in's
   *  codes and its HP output linears fused as the call's other layers (int8FuseLn). */
  clsTail?: boolean | 'auto';
  /** Where clsTail runs, also the last layer's attention for the [CLS] queries alone
   *  (attention-cls.ts: 1/seq of its work; its other rows are what the tail leaves unread). Default
   *  true: H200 B=32 L=128 with the tail, dense 1.3326 -> 1.3042 ms, HP 90 % 0.4403 -> 0.4260, logits
   *  exact (BENCHMARKS.md, issue 19 fourteenth pass). false runs it over every query. With quant
   *  'int8' too (default true since the seventeenth pass): its f32 sums in another order move the
   *  context by an ulp, which can flip an int8 code of the attention output's quantizer (H200, dev
   *  split: dense logits up to 6.3e-4 from every row's on 3 of 462 sentences, the same predictions;
   *  BENCHMARKS.md, int8 fourteenth pass), for ~0.03 ms of the int8 forward; false keeps the tail's
   *  logits every row's bit for bit. Not with the integer attention (int8Attention). */
  clsAttention?: boolean;
  /** Where clsTail runs on HP output linears, how they run on the [CLS] rows: 'fused' (the columns
   *  kernel fused with its residual + LayerNorm: few workgroups, each walking every kept tile) or
   *  'split' (the columns kernel with each tile-row's kept columns split between workgroups,
   *  tailSplitKc a split, the residual + LayerNorm apart adding their partial sums: two short
   *  dispatches with many workgroups) or 'whole' (all three with the LayerNorm between in one
   *  dispatch, tail-hp.ts: FFN-out's partial sums by slice of FFN's intermediate, which the head adds
   *  before the last LayerNorm; f32 weights, one tile height; else as 'split'). Default CLS_TAIL_LINEARS. */
  clsTailLinears?: 'fused' | 'split' | 'whole';
  /** clsTailLinears 'whole': slices of FFN's intermediate a [CLS] row, and rowsBlock's a row (workgroups a
   *  row; default: about 512 workgroups a call, tail-hp.ts; at most MAX_COLUMN_SPLITS and FFN-in's tile-rows). */
  tailSlices?: number;
  /** clsTailLinears 'whole': kept columns a thread loads at once (default 4, tail-hp.ts). */
  tailUnroll?: number;
  /** Every layer before the last one's output side (attention output, its LayerNorm, FFN-in + GELU,
   *  FFN-out) as the whole tail's kernel on every token row (tail-hp.ts, its slices' partial sums added
   *  by the residual + LayerNorm after it): 2 dispatches a layer instead of 3, for few tokens, where
   *  every layer's output linears are HP, the tail runs whole (its conditions) and the HP linears on
   *  columns, each later Q/K/V one linear. true, false or 'auto' (default: up to ROWS_BLOCK_MAX_TOKENS on
   *  a hardware adapter). */
  rowsBlock?: boolean | 'auto';
  /** Where the [CLS] attention runs (clsAttention), it writes the tail's compact context rows and
   *  copies x's [CLS] rows itself (attention-cls-compact.wgsl), so no gather dispatch follows.
   *  Default CLS_COMPACT. */
  clsCompact?: boolean;
  /** clsTailLinears 'split': kept columns a split (default TAIL_SPLIT_KC; at most MAX_COLUMN_SPLITS splits). */
  tailSplitKc?: number;
  /** Where the tail's last residual + LayerNorm would run apart (after K splits), the head takes
   *  it in (pooler-classifier.wgsl LN: each slice's workgroup normalises its row), a dispatch fewer.
   *  f32 only; default true. */
  tailHeadLn?: boolean;
}

/** clsTailLinears' default. H200, HP 90 %, with clsCompact (BENCHMARKS.md, issue 19 fourteenth pass,
 *  helper 14b), 'fused' -> 'split': B=32 L=128 attn-out 0.0433 -> 0.0397 ms and FFN-out 0.0774 ->
 *  0.0681 (4 layers) for LayerNorms of 0.0087; the forward 0.4260 = 0.4260, L=64 0.2567 -> 0.2529; the
 *  tail forced at B=1 L=128 0.1671 -> 0.1647, L=64 0.1556 -> 0.1516. 'split' -> 'whole' (eighteenth
 *  pass, one process): the tail's 4 dispatches (14.9 us) one of 11.7-12.5 us, B=32 L=128 0.4014 ->
 *  0.3912-0.3932 ms, L=64 0.2396 -> 0.2345; B=1 (where 'split' ran no tail) L=128 0.1614 -> 0.1499-0.1507,
 *  L=64 0.1516 -> 0.1389-0.1406. */
export const CLS_TAIL_LINEARS: 'fused' | 'split' | 'whole' = 'whole';
/** clsCompact's default. H200, one process (BENCHMARKS.md, issue 19 fourteenth pass, helper 14b),
 *  with clsTailLinears 'split' against 'fused' + the gather: HP 90 % B=32 L=128 0.4260 = 0.4260 ms
 *  (sum of ops 0.3728 -> 0.3661), L=64 0.2567 -> 0.2529; dense B=32 L=128 1.2976 -> 1.2962, L=64
 *  0.8782 -> 0.8738, B=1 L=128 0.3400 -> 0.3331, L=64 0.2976 -> 0.2949. */
export const CLS_COMPACT = true;
/** clsTailLinears 'split': kept columns a split by default. */
export const TAIL_SPLIT_KC = 16;

/** From this many tokens a call clsTail 'auto' runs the last layer on the [CLS] rows where the last
 *  layer's FFN-in is HP; where it is dense, at every call of sequences longer than 1 (H200, with the
 *  [CLS] attention, BENCHMARKS.md issue 19 fourteenth pass, dense forward: B=32 L=128 1.4746 -> 1.2962
 *  ms, L=64 0.9629 -> 0.8694; B=1 L=128 0.3768 -> 0.3509, L=64 0.3236 -> 0.3017). At HP 90 % the last
 *  layer's rows cost little, and the tail's three small dispatches wait on latency. H200, HP 90 %, with
 *  the [CLS] attention: B=32 L=128 0.4506 -> 0.4219 ms, L=64 (2048 tokens) 0.2608 -> 0.2580; B=1 L=128
 *  0.1647 -> 0.1679, L=64 0.1516 -> 0.1556 (lost). With the tail's K splits and compact rows (one
 *  process, fourteenth pass's final call): B=1 L=128 0.1630 off against 0.1663, L=64 0.1499 against
 *  0.1516: still lost. */
export const CLS_TAIL_MIN_TOKENS_HP = 2048;

/** Up to this many tokens a call rowsBlock 'auto' runs the earlier layers' output sides as the tail's
 *  kernel on every row (each row's workgroups read the attention output's weights again: 1/10 of a
 *  layer's output side at H = 312), the HP linears on columns. H200, HP 90 % (BENCHMARKS.md, issue 19
 *  eighteenth pass): B=1 L=128 0.1516 -> 0.1283 ms, L=64 0.1393 -> 0.1176; on rows before, B=2 L=128
 *  0.1835 -> 0.1581, B=4 L=128 0.2130 -> 0.1930, B=4 L=64 0.1638 -> 0.1365, B=8 L=64 0.1745 -> 0.1524;
 *  B=8 L=128 (1024 tokens) 0.2191 -> 0.2447 (lost; on columns without it 0.2079). */
export const ROWS_BLOCK_MAX_TOKENS = 512;

export interface EncoderTiming extends GpuTiming {
  batch: number;
  seq: number;
  /** Median wall time of run() (upload, forward, logits readback), ms. */
  runMsMedian: number;
  /** Of those runs, the median time until the forward's last command buffer was submitted
   *  (upload, submits: CPU work), ms; the rest of runMsMedian is waiting for the GPU and the readback. */
  submitMsMedian: number;
  /** Median wall time of run() on an idle engine: called after the last call's work was done,
   *  so its forward was recorded ahead in the pause (a sentence typed into a page), ms. */
  idleRunMsMedian: number | null;
  /** Median CPU time run() spent recording the next call's forward ahead (forward-submit.ts: in
   *  event-loop turns while the GPU runs this one; back to back, the next call waits for it). */
  recordMsMedian: number;
  /** Of submitMsMedian, the part spent uploading the tokens (the rest is queue.submit). */
  uploadMsMedian: number;
}

export interface EncoderEngine {
  readonly hidden: number;
  readonly labels: number;
  /** Names of the linears that run on the HP kernel. */
  readonly sparseLinears: string[];
  /** Bytes of weights (and HP indices) resident on the GPU, the [CLS] tail's and rowsBlock's own
   *  copies of the output-side weights included. */
  readonly weightBytes: number;
  /** The part of weightBytes held by the encoder's linears (what HP and f16 weights shrink). */
  readonly linearWeightBytes: number;
  /** Logits [batch, labels]. inputIds / attentionMask / tokenTypeIds are [batch, seq] row-major. */
  run(
    inputIds: IdArray,
    attentionMask: IdArray,
    tokenTypeIds: IdArray | null | undefined,
    batch: number,
    seq: number,
  ): Promise<Float32Array>;
  /** GPU time of the forward pass (timestamp queries when present, else wall clock) over
   *  `reps` runs after warmup, on random token ids with a full mask. */
  /** Median GPU time of the whole forward for batch x seq; reps shrink so a slow adapter stays
   *  near `budgetMs` (default 4 s; at least 3 timed reps and as many wall-clock runs, up to 3). */
  time(batch: number, seq: number, reps?: number, warmup?: number, budgetMs?: number): Promise<EncoderTiming>;
  /** GPU time of each kind of op (all its dispatches of one forward, timed on their own) and of
   *  the whole forward, for batch x seq (random ids, full mask). */
  /** detail.leaveOut: also the forward without each kind's dispatches; detail.perDispatch: each dispatch
   *  timed on its own (op-profile.ts). */
  profile(batch: number, seq: number, reps?: number, warmup?: number, detail?: ProfileDetail): Promise<EncoderProfile>;
  /** How each layer's Q/K/V linears run: 'fused' (one stacked linear) or 'separate'. */
  readonly qkvModes: ('fused' | 'separate')[];
  /** How many linears run fused with their residual + LayerNorm (fuseAddLn). */
  readonly fusedAddLn: number;
  /** The residual + LayerNorm kernel's variant. */
  readonly layerNorm: LayerNormVariant;
  /** The kernel variant each encoder linear runs for `tokens` (capped at the allocated
   *  capacity), counted by name: e.g. { 'int8 matrix-x64-hp': 24 }. */
  kernelVariants(tokens: number): Record<string, number>;
  /** int8: the residual + LayerNorms of the current allocation that write the next linear's codes
   *  (int8LayerNorm), by layout: { rows, columns } (zeros before the first run or without int8). */
  int8LayerNorms(): { rows: number; columns: number; fused: number };
  destroy(): void;
}

interface LayerLinears {
  /** The fused Q/K/V linear, or the three apart. */
  qkv: GpuLinear[];
  /** Null where the linear runs fused with its residual + LayerNorm (fusedOut). */
  attnOut: GpuLinear | null;
  ffnIn: GpuLinear;
  ffnOut: GpuLinear | null;
}

/** The bind groups of what follows a layer's attention on one set of rows: every token's, or
 *  clsTail's [CLS] rows (their own x, context and uniforms). */
interface OutputGroups {
  /** The rows' x and attention context (the linears take these as buffers). */
  x: GPUBuffer;
  ctx: GPUBuffer;
  /** Residual + LayerNorm 1 and 2. */
  ln: GPUBindGroup[];
  /** The same, also writing xt (addLnCols). */
  lnCols: GPUBindGroup[] | null;
  /** fuseAddLn: the output linears fused with their LayerNorm (null: apart). */
  fused: (GPUBindGroup | null)[];
  /** The HP output linears fused with their residual + LayerNorm (hpFuseLn; null: apart). */
  hpLn: (GPUBindGroup | null)[];
  /** x -> xt (the columns the HP linears read). */
  toColumns: GPUBindGroup;
}

/** int8: a residual + LayerNorm that also writes the next linear's codes (lnInt8). */
type Int8LnGroup = { kernel: RowKernel; group: GPUBindGroup; next: NonNullable<GpuLinear['int8Input']> };
/** int8: an HP output linear fused with its quantizer, residual + LayerNorm and the next linear's
 *  codes (int8FuseLn; next null: none follows). */
type Int8FusedGroup = { kernel: Int8HpLn; group: GPUBindGroup; next: GpuLinear['int8Input'] | null };

/** clsTail: the gather of the [CLS] rows, the last layer's groups on them, the head reading them. */
interface TailGroups extends OutputGroups {
  gather: GPUBindGroup;
  /** clsCompact: the [CLS] attention writing the compact rows (null: no [CLS] attention). */
  clsAttn: GPUBindGroup | null;
  head: GPUBindGroup;
  /** The head taking in the last residual + LayerNorm (tailHeadLn). */
  headLn: GPUBindGroup;
  /** clsTailLinears 'whole': the tail kernel's buffers, and the head adding its partial sums to its
   *  LayerNorm's output (null: not built). */
  whole: TailBuffers | null;
  headWhole: GPUBindGroup | null;
  /** rowsBlock: clsAttn and the gather copying x's rows from where the blocks left them. */
  clsAttnAfterBlocks: GPUBindGroup | null;
  gatherAfterBlocks: GPUBindGroup | null;
  /** int8: the last layer's LayerNorms writing codes, and its fused output linears, on those rows. */
  lnInt8: (Int8LnGroup | null)[];
  int8HpLn: (Int8FusedGroup | null)[];
}

/** Shortest timestamped pass of forwards (timeCompute's minSampleMs): Dawn on the H200 rounds
 *  timestamps to 65.5 µs, which the default 2 ms left as 33-µs steps of a 1.8-ms forward
 *  (BENCHMARKS.md, issue 19 fifth pass); 10 ms makes them 7 µs or less. */
const FORWARD_SAMPLE_MS = 10;
/** int8: from this many tokens a call the HP output linears run fused (int8FuseLn's default). */
export const INT8_FUSE_LN_TOKENS = 4096;

const layerLinears = (l: LayerLinears): GpuLinear[] =>
  [...l.qkv, l.attnOut, l.ffnIn, l.ffnOut].filter((x): x is GpuLinear => x !== null);

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
  let act:
    | Record<
        'tokens' | 'x' | 'xt' | 'ctx' | 'a' | 'f' | 'stats' | 'logits' | 'readback' | 'clsX' | 'clsCtx' | 'clsH' | 'x2',
        GPUBuffer
      >
    | undefined;
  /** The token inputs (ids, types, mask) share one buffer, so a call uploads them with one write:
   *  three sections of `section` bytes (the storage-offset alignment), staged in `tokenWords`. */
  let section = 0;
  let tokenWords = new Uint32Array(0);
  /** Per layer: the buffers its Q/K/V linears write (one for a fused layer, three otherwise). */
  let qkvOut: GPUBuffer[][] = [];
  let groups:
    | {
        emb: GPUBindGroup;
        /** The embeddings writing xt too (embeddingsCols). */
        embCols: GPUBindGroup | null;
        embWideCols: GPUBindGroup | null;
        attn: GPUBindGroup[];
        /** Per layer, what runs after its attention (on every row). */
        out: OutputGroups[];
        /** clsTail: the last layer's on the [CLS] rows (null where the tail never runs). */
        tail: TailGroups | null;
        head: GPUBindGroup;
        /** rowsBlock: per layer before the last, its block's buffers, the residual + LayerNorm after it
         *  (in place on the block's h, also writing xt where addLnCols runs) and h -> xt. */
        blocks: { buffers: TailBuffers; ln: GPUBindGroup; toColumns: GPUBindGroup }[] | null;
        /** int8: the residual + LayerNorms that also write the next linear's codes, per layer
         *  (null where that linear quantizes x itself). */
        lnInt8: (Int8LnGroup | null)[][];
        /** int8: per layer, the HP attention-output and FFN-output linears fused with their
         *  quantizer, residual + LayerNorm and the next linear's codes (int8FuseLn; null: apart). */
        int8HpLn: (Int8FusedGroup | null)[][];
      }
    | undefined;

  const int8 = opts.quant === 'int8';
  /** Whether the dense linears get their deferred-LayerNorm halves (deferLn). */
  const splitK: SplitK = opts.splitK ?? (opts.denseDeferLn ? 1 : 'engine');
  const unsplit = splitK === 1;
  const denseDeferLn = (opts.denseDeferLn ?? false) && !int8 && !opts.fuseAddLn && unsplit && hidden % 4 === 0;
  if (int8 && opts.fuseAddLn) throw new RangeError('quant int8 runs the linears unfused (fuseAddLn is f32 only)');
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
    const outputGroups = (
      i: number,
      u: GPUBuffer,
      x: GPUBuffer,
      ctx: GPUBuffer,
      toCols: GPUBindGroup,
    ): OutputGroups => {
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
          const forced = shapeTile(opts.hpLnTile, j === 0 ? hidden : ffn, hidden);
          if (hpFuseLn && !int8 && forced && forced !== 'off' && hpLin?.columns && !f)
            throw new RangeError(`fused LayerNorm tile '${forced}' is unknown or does not fit layer ${i}`);
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
    groups = {
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
    lastShape = '';
  }

  /** The last shape's steps: building the list (closures over the buffers and bind groups of
   *  this allocation) was ~15 % of recording a B=1 forward on a slow CPU; reused until allocate(). */
  let recorded: { shape: string; steps: Step[] } | null = null;
  function releaseActivations(): void {
    submitter.drop();
    recorded = null;
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

  function qkvLinears(plan: QkvPlan, l: BertModel['layers'][number], tokens: number): GpuLinear[] {
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

  /** The whole forward for batch x seq as labelled dispatches, in order. */
  function steps(batch: number, seq: number): Step[] {
    const a = act!;
    const g = groups!;
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
        else step('qkv', (pass) => qkv.encodeNorm(pass, a.a, a.stats, weights.ln[i - 1][1], a.x, qkvOut[i][0], tokens));
        attentionStep(i);
        step('attn-out', (pass) => out.encodeStats(pass, a.ctx, a.x, a.a, a.stats, tokens));
        step('ffn1', (pass) => ffnIn.encodeNorm(pass, a.a, a.stats, weights.ln[i][0], a.x, a.f, tokens));
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
      else if (tail && lnParts > 0)
        step('head', (pass) => head.withLayerNorm.encode(pass, tail.headLn, batch, lnParts));
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
      q: NonNullable<typeof groups>['int8HpLn'][number] | null,
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
        if (o === g.tail && tailHeadLn && opts.quant !== 'int8') headLnParts = parts;
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

  function stepsFor(batch: number, seq: number): Step[] {
    const shape = `${batch}x${seq}`;
    if (recorded?.shape !== shape) recorded = { shape, steps: steps(batch, seq) };
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
