// What the encoder engine takes and gives (engine.ts builds it): its options, with the measured
// reasons for their defaults, and the engine's interface with its timing record.
import type { HPMatrix } from '../../core/formats/hp';
import type { Int8Scale } from '../../core/quant';
import type { WeightPrecision } from '../kernels';
import type { SplitK } from '../kernels/variant-rule';
import type { GpuTiming } from '../timing';
import type { IdArray } from './inputs';
import type { HPLiveMode } from './live-outputs';
import type { EncoderProfile, ProfileDetail } from './op-profile';
import type { COLUMNS_LN_ROWS, LayerNormVariant } from './row-ops';

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
  /** Where the tail runs (clsTail), one dispatch before the last layer's attention reads the weights of
   *  its output side (the whole tail's own copy, clsTailLinears, or its linears': the largest six
   *  buffers with the head's) into the GPU's cache (cache-touch.ts), so the short dispatches after it
   *  find them there: at B=32 L=128 a forward's activations pass tens of MB through the cache between
   *  one forward's tail and the next's, and the HP tail and head took ~15 µs more in the forward than
   *  alone, dense's [CLS] linears ~12 µs each (BENCHMARKS.md, issue 19 twenty-second pass). Not for
   *  int8 linears (they do not expose their buffers). Default false (not yet measured on a GPU: the
   *  dispatch costs its own barrier). */
  tailPrefetch?: boolean;
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
   *  timed on its own; detail.prefix: each dispatch's increment over the ones before it (op-profile.ts). */
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

/** int8: from this many tokens a call the HP output linears run fused (int8FuseLn's default). */
export const INT8_FUSE_LN_TOKENS = 4096;
