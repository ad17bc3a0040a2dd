// hp-lab encoder: the whole BERT classifier on the WGSL engine (Dawn in Node; the same code the
// app runs in a worker). For each sparsity: HP-prune the 24 matrices, measure accuracy through
// the engine (and, with --compare-ort, onnxruntime-web's logits for the same pruned weights),
// and time the engine per (batch, seq) with HP-sparse vs dense linears.
import { DEFAULT_INT8_SCALE, INT8_SCALES, type Int8Scale } from '../../core/quant';
import { readFile, writeFile } from 'node:fs/promises';
import { parseFlags, numberFlag, numberListFlag } from '../args';
import { CliError } from '../cli-error';
import { loadModel, modelPath } from '../model-file';
import { inputFile, outputFile } from '../paths';
import { tileFlag } from '../prune-flags';
import {
  DENSE_TILES,
  HP_TILES,
  MAX_SPLIT_K,
  SUBGROUP_TILE,
  parseDenseTile,
  type SplitK,
} from '../../gpu/kernels/variant-rule';
import { HP_INT8_VARIANTS, INT8_MATRIX, INT8_VARIANTS } from '../../gpu/kernels/int8-linear';
import { dawnGpu, nodeGpu } from '../../gpu/node-gpu';
import { readbackFloor } from '../../gpu/readback-floor';
import { ATTENTION_VARIANTS, DEFAULT_ATTENTION } from '../../gpu/encoder/attention';
import { LAYERNORM_VARIANTS, type LayerNormVariant } from '../../gpu/encoder/row-ops';
import { HP_LIVE_MODES, type HPLiveMode } from '../../gpu/encoder/live-outputs';
import { createOrtWebGpuSession } from '../../eval/ort-webgpu-node';
import { compareWithOrtWebGpu } from '../../lab/ort-webgpu-peer';
import { takeFirst } from '../../core/data/dataset';
import type { EncoderEngine, EncoderEngineOptions } from '../../gpu/encoder';
import type { PruneConfig } from '../../core/pruning';
import { evaluateSession, type EvalResult } from '../../eval/accuracy';
import { EncoderExperiment } from '../../lab/encoder-experiment';
import { floorRow, latencyRow, profileRow, round } from '../../lab/encoder-rows';
import { PruneSession } from '../../lab/prune-session';
import { configureOrt, createBertSession } from '../../eval/ort-session';
import { DEFAULT_DATA, manifestMaxLength, readDataset, readTokenizer } from '../../eval/node-assets';

export const usage =
  `hp-lab encoder [--model M.onnx] [--data D.jsonl] [--sparsity 0,0.5,0.9] ` +
  `[--batch 1,8,32] [--seq 64,128] [options]
  Runs the whole classifier on the WGSL encoder engine (WebGPU via Dawn): accuracy on the data
  through the engine with HP-sparse linears at each sparsity, and latency per (batch, seq) of the
  engine with HP-sparse vs dense linears (GPU timestamps when the adapter has them, median).
  --tile TRxTC        HP tile (default 32x32; TR a multiple of 4)
  --split X           share of the sparsity at the tile level (default 0.5)
  --weights f32|f16   how the linears' weights are stored on the GPU (default f32; math is f32)
  --quant int8        every encoder linear in W8A8 (int8 codes on the GPU, activations quantized per
                      token, exact integer sums): the integer model of hp-lab eval --quant int8
  --int8-attention on|off|dot4|matrix  with --quant int8: the attention in integer arithmetic too
                      (hp-lab eval --quant int8 --int8-attention on's model; default off): on (= dot4)
                      on dot4I8Packed, matrix on subgroup matrices (HP_LAB_UNSAFE_APIS=1); both
                      slower than the f32 attention on the H200 (BENCHMARKS);
                      --int8-attention-splits 1|2|4 invocations a query (dot4; default 1)
  --int8-layernorm on|off  with --quant int8: the residual + LayerNorms before Q/K/V and FFN-in
                      write those linears' int8 codes (no quantize pass; default on where it fits)
  --int8-fuse-ln on|off  with --quant int8: each HP attention-output / FFN-out linear fused with its
                      quantizer, residual + LayerNorm and the next linear's codes (one dispatch;
                      default: from 4096 tokens a call; --hp-ln-tile l16|l16w|l16wp picks its tile)
  --int8-scale S[,..]  with --quant int8: each token's activation scale over its whole row (row) or the
                      columns the next HP linear reads (read: then what feeds only unread columns is
                      skipped too: dead heads, FFN-in / V tile-rows) or read-out (read at the attention
                      output's and FFN-out's inputs alone); default ${DEFAULT_INT8_SCALE};
                      a list: one HP engine each
  --compare-ort       also run onnxruntime-web (wasm) on the same pruned weights: logits diff, agreement
  --limit N           first N sentences only (default all); --no-accuracy to skip accuracy
  --max-length L      tokens per sentence (default: manifest maxLength, else 128); --eval-batch B (default 32)
  --reps R --warmup W timed repetitions (default 50) and warmup runs (default 5); --no-latency to skip
  --threads T         ORT wasm threads (default 1)
  --save-logits F     write the engine's logits (dataset order) per row to F (JSON)
  --engine-logits F   with --compare-ort: take the engine's logits from F (a --save-logits file from
                      a GPU host) instead of running the engine here; no GPU needed
  --fuse-ln on|off     attention/FFN output linears fused with bias + residual + LayerNorm (one
                      dispatch instead of two; default: the engine's)
  --dense-variant V   every dense linear on the dense kernel's variant V (a register tile such as
                      64x64/8x8, a spec BMxBN/TMxTN[/kBK][/2d], or subgroup; see hp-lab bench
                      matmul --tile all), or per shape: 312x936=T1,1200x312=T2; default per call
  --hp-variant V      every HP linear on the HP kernel's variant V (wide, mid, tall, narrow, subgroup);
                      with --quant int8 both take the int8 kernels' variants (dot4-64, matrix, ...)
  --hp-columns on|off|auto  HP Q/K/V, FFN-in and FFN-out on X as columns (the LayerNorm before them
                      writes x as columns too; FFN-in writes columns for FFN-out); default auto
                      (from 512 tokens a call, up to 128 where the output linears run fused
                      with their LayerNorm on the few-token tile l4s8v, and where the rows block
                      runs)
  --qkv-pad N         zero rows after the stacked HP Q/K/V blocks (row pitch 960 + N at 32-row tiles;
                      a multiple of 4; default 8 where the rows would be a multiple of 64 floats, else
                      0; f32 and int8)
  --submit-chunks L   dispatches in each command buffer of a forward before the last, a comma list
                      (e.g. 3,5,8: the GPU starts while the CPU still submits; forward-submit.ts), or
                      'one' (the default: the whole forward in one command buffer)
  --record-slice N    dispatches the next forward's recording ahead takes per event-loop turn (0 =
                      the whole forward in one go, the default), so a run's logits are seen before
                      that recording ends
                      (with latency rows the output also has readback_floor_ms: an empty submit and a
                      4-byte mapAsync round trip, plain and nudged, the floor under every run's wall time)
  --readback-first on|off  read a run's logits back before recording the next forward ahead (two
                      kept ready, the next recorded after run() returns); default off
  --ln-columns-rows R rows a workgroup (4, 8, 16) of the LayerNorm that writes x as columns (default 8
                      where it fits the device's workgroup memory, else 4)
  --hp-column-tile T  the columns kernel's tile (c256/8x8, c128/8x8, c128/8x4, c64/8x8, c64/8x4,
                      c64/4x4, c32/4x4, optionally /kN: N kept columns a K-step), or per shape,
                      'INxOUT=T' entries joined by '+' (312x968=c64/8x4+312x1200=c128/8x4: the
                      stacked Q/K/V and FFN-in; the rest automatic); default per call; a comma list
                      builds and times one HP engine per tile (rows carry hp_column_tile; with a
                      list of --hp-ln-tile, one per pair)
  --hp-fuse-ln on|off where the HP linears run on columns, the HP attention-output and FFN-output
                      linears fused with their residual + LayerNorm (one dispatch; needs subgroups
                      of one size); default on
  --hp-ln-tile T      the fused kernel's tile (l16, l8, l32, l32r1, l16r2, l16s2, l4s8v, l4s4v, l8s4:
                      tokens a workgroup, 'r1'/'r2': one/two token quads an
                      invocation, 's8': the kept columns split between 8 groups of invocations,
                      'v': values read into registers, not staged; optionally /kN: N kept columns
                      a K-step a split; ~loop, ~ln, ~xt, ~red: ablations, timing only, wrong
                      results: no K-steps, no LayerNorm, no x as columns, no adding of the
                      splits); '/d' after the tile (l32r1/d): two K-steps' loads in flight; or per
                      shape as --hp-column-tile ('off': that linear unfused); default from 4096
                      tokens a call l32r1 for FFN-out (120 kept columns a tile-row at 90 %) and
                      l16/k8 for the attention output, l4s8v up to 128, l16 between; a
                      comma list builds and times one HP engine per tile (rows carry hp_ln_tile)
  --hp-live L         what the columns kernel skips of the HP Q/K/V and FFN-in outputs no later
                      kernel reads (V outputs of context columns the attention output does not
                      keep, FFN-in outputs FFN-out does not keep; exact): off, rows (tile-rows
                      with none read), mask (also the other unread outputs' stores), auto (rows
                      from 2048 tokens a call; the default); a comma list builds and times one HP
                      engine each (rows carry hp_live)
  --embeddings-columns E  how x reaches the first HP Q/K/V on columns above 128 tokens a call:
                      subgroup (the embeddings write it, a subgroup a row; the default) or
                      transpose (a transpose step after them); a comma list builds and times one
                      HP engine each (rows carry embeddings_columns)
  --cls-tail T        the last layer's attention output, FFN and LayerNorms on the [CLS] rows
                      alone (the head reads nothing else; exact): on, off, auto (every call where
                      the last FFN-in is dense or its HP linears run whole, below; else from 2048
                      tokens; the default);
                      where it runs, the last layer's attention runs for the [CLS] queries alone
                      too (with --quant int8 its rounding can flip an int8 code: the same
                      predictions), unless on+all-queries / auto+all-queries (every query, the form
                      before; int8's tail then every row's bit for bit); a comma list builds and
                      times one HP engine and one dense engine each (rows carry cls_tail);
                      +fused / +split / +splitN after any of these (on+split16): the tail's HP
                      output linears fused with their LayerNorm, or as K splits of N kept columns
                      (default 16) with the LayerNorm apart (one dense engine for the forms);
                      +whole / +wholeN: all three and the LayerNorm between in one dispatch (the
                      default for f32 HP engines), N slices of FFN a row (default: 512 workgroups
                      a call, 16 slices at most), +unrollN: kept columns a thread loads at once
                      there (default 4); +rows-block / +no-rows-block: the layers before the last
                      with their output side as that kernel on every row, or not (default: up to
                      512 tokens a call on a hardware adapter);
                      +compact / +gather: the [CLS] attention writes the tail's rows itself, or a
                      gather dispatch copies them (on+split+compact); +head-ln / +ln-apart: the
                      split tail's last LayerNorm taken into the head (the default), or apart;
                      +prefetch: where the tail runs, one dispatch before the last layer's
                      attention reads its output side's weights (the whole tail's, or its
                      linears') and the head's into the GPU's cache (op kind prefetch; default
                      off; dense engines too)
  --hp-attention V,V  the HP engines' attention variant (as --attention-variant, which then sets
                      the dense engine's alone); a comma list builds and times one HP engine each
                      (rows carry hp_attention)
  --dense-defer-ln on|off  where every layer runs dense on register tiles, each residual +
                      LayerNorm but the last deferred to the linear after it (the attention output
                      and FFN-out write row statistics, Q/K/V and FFN-in normalise as they read;
                      default off: slower on the H200; not with --split-k or --fuse-ln)
  --attention-variant V  the attention kernel's variant (q2c8, q1c8, q1c16, q1c64, q1c8s2/s4/s8,
                      q2c8s2/s4: query rows a thread, keys a register chunk, threads a query
                      splitting its keys; the same with a 'u' (q1c8s2u, q2c8s4u, ...): every
                      per-thread loop written out; 't128': 128 keys a tile, 'w32': 32 query slots
                      a workgroup (q1c8s2t128, q1c8s2ut128, q2c8s2ut128, q1c8s4t128, q1c8s2w32);
                      'v': the K/V tile as rows of quads, 'f': also fma() chains (q1c8s8f, ...),
                      'p' after it: the next K/V tile loaded during this one (q1c16s2fp, q1c8s8fp);
                      b16k128n4, b32k128n4, b64k64n4, b64k32n4, b128k32n4:
                      register-blocked, QB query rows a workgroup, KT keys a tile, 4 x KN scores a
                      thread; r<QB>q<QM>k<KM>t<KT>[p] (r64q4k8t64p, ...): blocked outer products,
                      'p': the next key tile fetched ahead; g<NSG>m<QM>b<NB> (g8m4b4, g8m4b2,
                      g4m4b1): a sequence's keys over a subgroup's lanes, NSG subgroups of QM rows
                      x NB blocks a workgroup, adapters with one subgroup size);
                      h<QPT>w<QW>s<S>c<KC>t<KT> (h1w128s2c16t64, h1w64s2c16t32): QW queries a
                      workgroup, KT keys a tile, merge and rows stored through workgroup memory;
                      with 'v' / 'r' (h1w128s2c16t64r, ...): only the value dims the HP attention
                      output reads ('r': each head's own, skipping the rest; --hp-live);
                      default auto: q1c8s8fp for one sentence (batch x seq <= 128), h1w32s8c8t64
                      for a few at 64 < L <= 128 (<= 264 of its workgroups), b16k128n4 for few
                      rows at L > 64, b128k32n4 / b64k64n4 for many rows a multiple of 64 floats,
                      else q1c8 with the most splits (8 as q1c8s8fp, 4, 2) keeping query rows x
                      splits <= 64k, two splits as h1w128s2c16t64 where that makes >= 384 workgroups at
                      L <= 64 (B=32; at 64 < L <= 128 one split, h1w128s1c16t64, or h1w64s2c16t64
                      where the live heads leave <= 198 (sequence, head) pairs), else q1c16s2f);
                      a comma list ('' the default): a dense
                      and an HP engine each, in one process; 'V/V/..': one a layer (the last
                      repeated)
  --ln-variant V      the residual + LayerNorm kernel: tree (a workgroup a row) or subgroup (a
                      subgroup a row, subgroupAdd); default subgroup on adapters with one subgroup size
  --split-k N|auto|engine  K-slices of the dense attention-output and FFN-output linears, added by
                      the residual + LayerNorm (auto: pickDenseSplit's rule per token count; default
                      engine: 2 slices from 4096 tokens a call, else 1, unsplit)
  --spin-up MS        run the largest dense forward for MS ms before the first timing, and for
                      MS/5 (at least 100) before every later one, each then on until its GPU
                      time settles (an idle or lightly loaded GPU lowers its clock; default 0)
  --profile           GPU time per kind of op (embeddings, transpose, qkv, attention, attn-out,
                      layernorm, ffn1, ffn2, gather: --cls-tail's, head), dense and HP, per (batch,
                      seq), each kind timed on its own
  --profile-leave-out with --profile: also the forward without each kind's dispatches (in_forward_ms:
                      forward minus that, what the kind costs in place; wrong results, timing only), and the
                      forward's dispatches regrouped by kind (grouped_by_kind_ms)
  --profile-dispatches with --profile: also each dispatch timed on its own, in the forward's order
                      (dispatches_ms: [kind, ms] pairs; the last layer's [CLS] tail, its own)
  --profile-cold MIB  with --profile: also each dispatch on its own after a dispatch reading MIB MiB
                      of another buffer (more than the GPU's cache; capped by the adapter's limits),
                      less that read alone: its time with its weights and inputs out of the cache
                      (dispatches_cold_ms: [kind, ms] pairs; cold_fill_mib)
  --profile-pairs     with --profile: also each dispatch after the one before it, less that one alone
                      (dispatches_after_previous_ms: [kind, ms] pairs; the first: its own time)
  --profile-prefix    with --profile: also the forward's first k dispatches for every k, each dispatch's
                      increment over those before it (dispatches_in_place_ms: [kind, ms] pairs)
  --compare-ort-webgpu  onnxruntime-web's WebGPU EP (under Node, on the same GPU) on the dense ONNX
                      beside the engine's dense and HP runs, per (batch, seq): wall times, logits diff
                      (the latency rows, unless --no-latency, are taken before ORT's session exists)
  --ort-dir D         where ORT's WebGPU wasm files are (default: ort/ beside the CLI, else the package)`;

function compareLogits(a: Float32Array, b: Float32Array, labels: number) {
  let maxAbs = 0;
  let agree = 0;
  const n = a.length / labels;
  for (let i = 0; i < n; i++) {
    let pa = 0;
    let pb = 0;
    for (let c = 0; c < labels; c++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i * labels + c] - b[i * labels + c]));
      if (a[i * labels + c] > a[i * labels + pa]) pa = c;
      if (b[i * labels + c] > b[i * labels + pb]) pb = c;
    }
    if (pa === pb) agree++;
  }
  return { max_abs_logit_diff: maxAbs, prediction_agreement: agree / n };
}

const TAIL_MODES = ['on', 'off', 'auto'];
/** What may follow a --cls-tail mode after '+': the last layer's attention, the tail's HP output
 *  linears (fused, split, splitN, whole, wholeN, unrollN), the earlier layers' output sides
 *  (rows-block, no-rows-block), whether the [CLS] attention writes the compact rows (no gather),
 *  whether the head takes the split tail's last LayerNorm in, whether the tail's and the head's weights
 *  are read into the cache first (prefetch). */
const TAIL_PARTS = new RegExp(
  '^(attention|all-queries|fused|split\\d*|whole\\d*|unroll\\d+|rows-block|no-rows-block|' +
    'compact|gather|head-ln|ln-apart|prefetch)$',
);

/** '+wholeN' and '+unrollN' take 1..16 (the engine's most slices and load step). */
const inRange = (r: string) => {
  const n = /^(whole|unroll)(\d+)$/.exec(r);
  return !n || (Number(n[2]) >= 1 && Number(n[2]) <= 16);
};

function tailMode(v: string): string {
  const [tail, ...rest] = v.split('+');
  if (TAIL_MODES.includes(tail) && rest.every((r) => TAIL_PARTS.test(r) && r !== 'split0' && inRange(r))) return v;
  throw new CliError(
    `--cls-tail must be one of ${TAIL_MODES.join(', ')}, then any of +attention, +all-queries, +fused, ` +
      '+split, +splitN, +whole, +wholeN, +unrollN (N 1-16), +rows-block, +no-rows-block, +compact, +gather, ' +
      `+head-ln, +ln-apart, +prefetch; got '${v}'`,
  );
}

type EngineTailOptions = Pick<
  EncoderEngineOptions,
  | 'clsTail'
  | 'clsAttention'
  | 'clsTailLinears'
  | 'tailSplitKc'
  | 'tailSlices'
  | 'tailUnroll'
  | 'rowsBlock'
  | 'clsCompact'
  | 'tailHeadLn'
  | 'tailPrefetch'
>;

/** The engine options of a --cls-tail mode ('+all-queries': the last layer's attention over every
 *  query; '+attention': over the [CLS] queries alone; neither: the engine's default, the [CLS]
 *  queries; '+split[N]' / '+fused' / '+whole[N]': the tail's HP output linears as K splits of N
 *  kept columns, fused, or all three in one dispatch (N slices a row; '+unrollN': its load step;
 *  '+rows-block' / '+no-rows-block': the earlier layers' output sides as that kernel on every row);
 *  '+compact' / '+gather': the [CLS] attention writes the compact rows, or a gather does;
 *  '+head-ln' / '+ln-apart': the split tail's last LayerNorm in the head, or apart; '+prefetch': the
 *  tail's and the head's weights read into the cache before the last layer's attention). */
function tailOptions(mode: string | undefined): EngineTailOptions {
  if (mode === undefined) return {};
  const [tail, ...rest] = mode.split('+');
  const o: EngineTailOptions = { clsTail: tail === 'auto' ? 'auto' : tail === 'on' };
  for (const r of rest) {
    if (r === 'attention' || r === 'all-queries') o.clsAttention = r === 'attention';
    if (r === 'fused') o.clsTailLinears = 'fused';
    if (r.startsWith('split')) {
      o.clsTailLinears = 'split';
      if (r.length > 5) o.tailSplitKc = Number(r.slice(5));
    }
    if (r.startsWith('whole')) {
      o.clsTailLinears = 'whole';
      if (r.length > 5) o.tailSlices = Number(r.slice(5));
    }
    if (r.startsWith('unroll')) o.tailUnroll = Number(r.slice(6));
    if (r === 'rows-block' || r === 'no-rows-block') o.rowsBlock = r === 'rows-block';
    if (r === 'compact' || r === 'gather') o.clsCompact = r === 'compact';
    if (r === 'head-ln' || r === 'ln-apart') o.tailHeadLn = r === 'head-ln';
    if (r === 'prefetch') o.tailPrefetch = true;
  }
  return o;
}

/** A --cls-tail mode less what only HP engines differ in (the linears' form): one dense engine each. */
const denseTailKey = (mode: string | undefined) =>
  mode?.replace(/\+(fused|split\d*|whole\d*|unroll\d+|rows-block|no-rows-block|head-ln|ln-apart)(?=\+|$)/g, '');

/** A flag value's check against its names: `--flag must be one of a, b, got 'v'` otherwise. */
const choiceOf =
  <T extends string>(flag: string, names: readonly T[]) =>
  (v: string): T => {
    if (!(names as readonly string[]).includes(v))
      throw new CliError(`--${flag} must be one of ${names.join(', ')}, got '${v}'`);
    return v as T;
  };

const int8ScaleOf = choiceOf<Int8Scale>('int8-scale', INT8_SCALES);
const liveMode = choiceOf<HPLiveMode>('hp-live', HP_LIVE_MODES);

type EmbeddingsColumns = NonNullable<EncoderEngineOptions['embeddingsColumns']>;
const embeddingsColumnsMode = choiceOf<EmbeddingsColumns>('embeddings-columns', ['subgroup', 'transpose']);

/** Progress on stderr (the result is JSON on stdout). */
const progress = (line: string) => process.stderr.write(`${line}\n`);

const accuracyOf = (r: EvalResult) => ({
  accuracy: round(r.accuracy),
  correct: r.correct,
  n: r.n,
  ms: Math.round(r.ms),
  sentences_per_s: round(r.sentencesPerSecond, 1),
});

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    tokenizer: { type: 'string' },
    sparsity: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    tile: { type: 'string' },
    split: { type: 'string' },
    'compare-ort': { type: 'boolean' },
    limit: { type: 'string' },
    'no-accuracy': { type: 'boolean' },
    'no-latency': { type: 'boolean' },
    'max-length': { type: 'string' },
    'eval-batch': { type: 'string' },
    reps: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    'save-logits': { type: 'string' },
    'engine-logits': { type: 'string' },
    weights: { type: 'string' },
    'fuse-ln': { type: 'string' },
    quant: { type: 'string' },
    profile: { type: 'boolean' },
    'profile-leave-out': { type: 'boolean' },
    'profile-dispatches': { type: 'boolean' },
    'profile-prefix': { type: 'boolean' },
    'profile-cold': { type: 'string' },
    'profile-pairs': { type: 'boolean' },
    'compare-ort-webgpu': { type: 'boolean' },
    'ort-dir': { type: 'string' },
    'dense-variant': { type: 'string' },
    'hp-variant': { type: 'string' },
    'hp-columns': { type: 'string' },
    'int8-layernorm': { type: 'string' },
    'int8-fuse-ln': { type: 'string' },
    'int8-scale': { type: 'string' },
    'int8-attention': { type: 'string' },
    'int8-attention-splits': { type: 'string' },
    'hp-column-tile': { type: 'string' },
    'hp-fuse-ln': { type: 'string' },
    'hp-ln-tile': { type: 'string' },
    'hp-live': { type: 'string' },
    'embeddings-columns': { type: 'string' },
    'cls-tail': { type: 'string' },
    'hp-attention': { type: 'string' },
    'dense-defer-ln': { type: 'string' },
    'ln-columns-rows': { type: 'string' },
    'qkv-pad': { type: 'string' },
    'submit-chunks': { type: 'string' },
    'record-slice': { type: 'string' },
    'readback-first': { type: 'string' },
    'attention-variant': { type: 'string' },
    'ln-variant': { type: 'string' },
    'spin-up': { type: 'string' },
    'split-k': { type: 'string' },
  });
  const weights = f.weights ?? 'f32';
  /** An on|off flag's value (undefined when not given). */
  const onOff = (name: keyof typeof f): 'on' | 'off' | undefined => {
    const v = f[name];
    if (v !== undefined && v !== 'on' && v !== 'off') throw new CliError(`--${name} must be on or off, got '${v}'`);
    return v;
  };
  const fuseLn = onOff('fuse-ln');
  if (weights !== 'f32' && weights !== 'f16') throw new CliError(`--weights must be f32 or f16, got '${weights}'`);
  const quant = f.quant;
  if (quant !== undefined && quant !== 'f32' && quant !== 'int8')
    throw new CliError(`--quant must be f32 or int8, got '${quant}'`);
  if (quant === 'int8' && (weights !== 'f32' || fuseLn === 'on'))
    throw new CliError(
      '--quant int8 stores int8 codes and runs the linears unfused: drop --weights f16 and --fuse-ln on',
    );
  // A kernel variant for every linear: the f32 kernels' names, or the int8 kernels' with --quant int8.
  const int8 = quant === 'int8';
  for (const [flag, names] of [
    ['dense-variant', int8 ? [...INT8_VARIANTS, INT8_MATRIX] : [...DENSE_TILES.map((t) => t.name), SUBGROUP_TILE]],
    ['hp-variant', int8 ? HP_INT8_VARIANTS : [...HP_TILES.map((t) => t.name), SUBGROUP_TILE]],
  ] as const) {
    const v = f[flag];
    // The f32 dense kernel also takes tile specs, whole or per shape ('INxOUT=TILE,…').
    const tiles = v?.split(',').map((e) => (/^\d+x\d+=/.test(e) ? e.slice(e.indexOf('=') + 1) : e));
    const spec = flag === 'dense-variant' && !int8 && tiles?.every((t) => names.includes(t) || parseDenseTile(t));
    if (v !== undefined && !names.includes(v) && !spec)
      throw new CliError(`--${flag} must be one of ${names.join(', ')}${int8 ? ' (int8 kernels)' : ''}, got '${v}'`);
  }
  const hpColumns = f['hp-columns'];
  if (hpColumns !== undefined && !['on', 'off', 'auto'].includes(hpColumns))
    throw new CliError(`--hp-columns must be on, off or auto, got '${hpColumns}'`);
  const int8Ln = onOff('int8-layernorm');
  if (int8Ln !== undefined && !int8) throw new CliError('--int8-layernorm needs --quant int8');
  const int8FuseLn = onOff('int8-fuse-ln');
  if (int8FuseLn !== undefined && !int8) throw new CliError('--int8-fuse-ln needs --quant int8');
  const int8Att = f['int8-attention'];
  if (int8Att !== undefined && !['on', 'off', 'dot4', 'matrix'].includes(int8Att))
    throw new CliError(`--int8-attention must be on, off, dot4 or matrix, got '${int8Att}'`);
  if (int8Att !== undefined && int8Att !== 'off' && !int8)
    throw new CliError(`--int8-attention ${int8Att} needs --quant int8`);
  const attSplits = f['int8-attention-splits'];
  if (attSplits !== undefined && !['1', '2', '4'].includes(attSplits))
    throw new CliError(`--int8-attention-splits must be 1, 2 or 4, got '${attSplits}'`);
  const hpFuseLn = onOff('hp-fuse-ln');
  const denseDeferLn = onOff('dense-defer-ln');
  const lnColumnsRows =
    f['ln-columns-rows'] === undefined
      ? undefined
      : numberFlag(f['ln-columns-rows'], 'ln-columns-rows', 4, 4, 16, true);
  if (lnColumnsRows !== undefined && ![4, 8, 16].includes(lnColumnsRows))
    throw new CliError(`--ln-columns-rows must be 4, 8 or 16, got ${lnColumnsRows}`);
  const qkvPad = f['qkv-pad'] === undefined ? undefined : numberFlag(f['qkv-pad'], 'qkv-pad', 0, 0, 1024, true);
  if (qkvPad !== undefined && qkvPad % 4 !== 0) throw new CliError(`--qkv-pad must be a multiple of 4, got ${qkvPad}`);
  const submitChunks =
    f['submit-chunks'] === undefined
      ? undefined
      : f['submit-chunks'] === 'one'
        ? []
        : numberListFlag(f['submit-chunks'], 'submit-chunks', [], 1, 1000, true);
  const recordSlice =
    f['record-slice'] === undefined ? undefined : numberFlag(f['record-slice'], 'record-slice', 0, 0, 1000, true);
  const readbackFirst = onOff('readback-first');
  // A comma list: one dense and one HP engine each ('' the default); '/' joins one a layer.
  const attentions = f['attention-variant']?.split(',').map((a) => a || undefined) ?? [undefined];
  const badVariant = attentions
    .flatMap((a) => a?.split('/') ?? [])
    .find((a) => !(ATTENTION_VARIANTS as readonly string[]).includes(a));
  if (badVariant !== undefined)
    throw new CliError(`--attention-variant must be one of ${ATTENTION_VARIANTS.join(', ')}, got '${badVariant}'`);
  const attList = attentions.length > 1;
  const attention = attList ? undefined : attentions[0];
  const lnVariant = f['ln-variant'] as LayerNormVariant | undefined;
  if (lnVariant !== undefined && !LAYERNORM_VARIANTS.includes(lnVariant))
    throw new CliError(`--ln-variant must be one of ${LAYERNORM_VARIANTS.join(', ')}, got '${lnVariant}'`);
  const sparsities = numberListFlag(f.sparsity, 'sparsity', [0, 0.5, 0.9], 0, 0.999, false);
  const lnTiles: (string | undefined)[] = f['hp-ln-tile'] ? f['hp-ln-tile'].split(',') : [undefined];
  const colTiles: (string | undefined)[] = f['hp-column-tile'] ? f['hp-column-tile'].split(',') : [undefined];
  const lives: (HPLiveMode | undefined)[] = f['hp-live'] ? f['hp-live'].split(',').map(liveMode) : [undefined];
  const tails: (string | undefined)[] = f['cls-tail'] ? f['cls-tail'].split(',').map(tailMode) : [undefined];
  const embCols: (EmbeddingsColumns | undefined)[] = f['embeddings-columns']
    ? f['embeddings-columns'].split(',').map(embeddingsColumnsMode)
    : [undefined];
  const hpAtts: (string | undefined)[] = f['hp-attention'] ? f['hp-attention'].split(',') : attentions;
  const scales: (Int8Scale | undefined)[] = f['int8-scale'] ? f['int8-scale'].split(',').map(int8ScaleOf) : [undefined];
  if (f['int8-scale'] && !int8) throw new CliError('--int8-scale needs --quant int8');
  const badAtt = hpAtts
    .flatMap((a) => a?.split('/') ?? [])
    .find((a) => !(ATTENTION_VARIANTS as readonly string[]).includes(a));
  if (badAtt !== undefined)
    throw new CliError(`--hp-attention: '${badAtt}' is not one of ${ATTENTION_VARIANTS.join(', ')}`);
  // One HP engine per (fused tile, column tile, live mode, [CLS] tail, attention variant, embeddings form, int8
  // scale).
  const hpTiles = lnTiles.flatMap((ln) =>
    colTiles.flatMap((col) =>
      lives.flatMap((live) =>
        tails.flatMap((tail) =>
          hpAtts.flatMap((att) =>
            embCols.flatMap((emb) => scales.map((scale) => ({ ln, col, live, tail, att, emb, scale }))),
          ),
        ),
      ),
    ),
  );
  const batches = numberListFlag(f.batch, 'batch', [1, 8, 32], 1, 4096, true);
  const seqs = numberListFlag(f.seq, 'seq', [64, 128], 1, 4096, true);
  const [tr, tc] = tileFlag(f.tile);
  if (tr % 4 !== 0) throw new CliError(`--tile: the HP kernel needs tile rows a multiple of 4, got ${tr}`);
  const split = numberFlag(f.split, 'split', 0.5, 0, 1);
  const limit = f.limit === undefined ? undefined : numberFlag(f.limit, 'limit', 0, 1, 1e9, true);
  const maxLength = numberFlag(f['max-length'], 'max-length', manifestMaxLength() ?? 128, 2, 4096, true);
  const evalBatch = numberFlag(f['eval-batch'], 'eval-batch', 32, 1, 4096, true);
  const reps = numberFlag(f.reps, 'reps', 50, 1, 100000, true);
  const warmup = numberFlag(f.warmup, 'warmup', 5, 0, 100000, true);
  const threads = numberFlag(f.threads, 'threads', 1, 1, 64, true);
  const spinUpMs = numberFlag(f['spin-up'], 'spin-up', 0, 0, 60000, true);
  const splitK: SplitK | undefined =
    f['split-k'] === undefined || f['split-k'] === 'auto' || f['split-k'] === 'engine'
      ? f['split-k']
      : numberFlag(f['split-k'], 'split-k', 1, 1, MAX_SPLIT_K, true);

  if (f['profile-leave-out'] && !f.profile) throw new CliError('--profile-leave-out goes with --profile');
  if (f['profile-dispatches'] && !f.profile) throw new CliError('--profile-dispatches goes with --profile');
  if (f['profile-prefix'] && !f.profile) throw new CliError('--profile-prefix goes with --profile');
  if (f['profile-cold'] !== undefined && !f.profile) throw new CliError('--profile-cold goes with --profile');
  if (f['profile-pairs'] && !f.profile) throw new CliError('--profile-pairs goes with --profile');
  const coldMib = f['profile-cold'] === undefined ? 0 : numberFlag(f['profile-cold'], 'profile-cold', 0, 1, 4096, true);
  if (f['ort-dir'] !== undefined && !f['compare-ort-webgpu'])
    throw new CliError('--ort-dir goes with --compare-ort-webgpu');
  if (f['compare-ort-webgpu'] && f['engine-logits'])
    throw new CliError('--compare-ort-webgpu runs the engine on this GPU: not with --engine-logits');
  if (f['save-logits'] !== undefined) outputFile('save-logits', f['save-logits']);
  if (f['engine-logits'] !== undefined) inputFile('engine-logits', f['engine-logits']);
  const file = modelPath(f.model);
  const onnx = await loadModel(file);
  const { model } = onnx;
  for (const s of seqs)
    if (s > model.config.maxPositions)
      throw new CliError(`--seq ${s} exceeds the model's ${model.config.maxPositions} positions`);
  if (maxLength > model.config.maxPositions)
    throw new CliError(`--max-length ${maxLength} exceeds the model's ${model.config.maxPositions} positions`);
  const doAccuracy = !f['no-accuracy'];
  const tokenizer = doAccuracy ? readTokenizer(f.tokenizer) : undefined;
  const data = doAccuracy ? readDataset(f.data ?? DEFAULT_DATA) : undefined;
  if (f['compare-ort']) configureOrt({ threads });

  const saved: Record<string, { adapter: string; logits: number[] }> = {};
  let fromFile: Record<string, { adapter: string; logits: number[] }> | undefined;
  if (f['engine-logits']) {
    if (!f['compare-ort']) throw new CliError('--engine-logits goes with --compare-ort');
    try {
      fromFile = JSON.parse(await readFile(f['engine-logits'], 'utf8')).rows;
    } catch (err) {
      throw new CliError(`--engine-logits ${f['engine-logits']}: ${(err as Error).message}`);
    }
  }
  /** Accuracy + logits through the engine, or from the saved file (same dataset order). */
  const engineEval = async (key: string, engine: () => EncoderEngine): Promise<EvalResult> => {
    if (fromFile) {
      const row = fromFile[key];
      if (!row) throw new CliError(`--engine-logits has no row '${key}' (has ${Object.keys(fromFile).join(', ')})`);
      const subset = takeFirst(data!, limit);
      const labels = model.config.labels;
      if (row.logits.length !== subset.texts.length * labels)
        throw new CliError(
          `--engine-logits row '${key}' has ${row.logits.length} logits, ` +
            `expected ${subset.texts.length * labels} (same --limit/--data?)`,
        );
      const logits = Float32Array.from(row.logits);
      const predictions = new Int32Array(subset.texts.length);
      let correct = 0;
      for (let i = 0; i < predictions.length; i++) {
        let best = 0;
        for (let c = 1; c < labels; c++) if (logits[i * labels + c] > logits[i * labels + best]) best = c;
        predictions[i] = best;
        if (best === subset.labels[i]) correct++;
      }
      return {
        accuracy: correct / predictions.length,
        correct,
        n: predictions.length,
        ms: 0,
        sentencesPerSecond: 0,
        backend: 'webgpu',
        predictions,
        logits,
      };
    }
    const r = await experiment!.accuracy(engine(), tokenizer!, data!, evalOpts);
    if (f['save-logits']) saved[key] = { adapter: adapter.label, logits: Array.from(r.logits!) };
    return r;
  };

  const gpu = fromFile ? undefined : await nodeGpu();
  const adapter = gpu ? gpu.caps : { label: 'saved logits', hasTimestampQuery: false };
  const lost = gpu
    ? gpu.device.lost.then((info) => {
        throw new CliError(`the GPU device was lost: ${info.message}`);
      })
    : new Promise<never>(() => undefined);
  const prune = new PruneSession(onnx);
  const experiment = gpu && new EncoderExperiment(gpu, prune);
  const size = {
    maxBatch: Math.max(evalBatch, ...batches),
    maxSeq: Math.max(maxLength, ...seqs),
    weights,
    ...(fuseLn ? { fuseAddLn: fuseLn === 'on' } : {}),
    ...(quant === 'int8' ? { quant: 'int8' as const } : {}),
    ...(f['dense-variant'] ? { denseTile: f['dense-variant'] } : {}),
    ...(f['hp-variant'] ? { hpTile: f['hp-variant'] } : {}),
    ...(hpColumns ? { hpColumns: hpColumns === 'auto' ? ('auto' as const) : hpColumns === 'on' } : {}),
    ...(int8Ln ? { int8LayerNorm: int8Ln === 'on' } : {}),
    ...(int8FuseLn ? { int8FuseLn: int8FuseLn === 'on' } : {}),
    ...(int8Att ? { int8Attention: int8Att === 'dot4' || int8Att === 'matrix' ? int8Att : int8Att === 'on' } : {}),
    ...(attSplits ? { int8AttentionSplits: Number(attSplits) as 1 | 2 | 4 } : {}),
    ...(hpFuseLn ? { hpFuseLn: hpFuseLn === 'on' } : {}),
    ...(denseDeferLn ? { denseDeferLn: denseDeferLn === 'on' } : {}),
    ...(lnColumnsRows ? { columnsLayerNormRows: lnColumnsRows as 4 | 8 | 16 } : {}),
    ...(qkvPad !== undefined ? { qkvPad } : {}),
    ...(submitChunks ? { submitChunks } : {}),
    ...(recordSlice !== undefined ? { recordSlice } : {}),
    ...(readbackFirst ? { readbackFirst: readbackFirst === 'on' } : {}),
    ...(attention ? { attention } : {}),
    ...(lnVariant ? { layerNorm: lnVariant } : {}),
    ...(splitK !== undefined ? { splitK } : {}),
  } as const;
  const evalOpts = { limit, batch: evalBatch, maxLength, keepLogits: true };

  const shapes = seqs.flatMap((seq) => batches.map((batch) => ({ batch, seq })));
  if (f['compare-ort-webgpu'] && !gpu) throw new CliError('--compare-ort-webgpu needs a GPU (not --engine-logits)');
  // ORT's session (its own device on the same GPU) is created after the engine's own latency
  // rows, so those are taken without it; the peer rows time both with it alive.
  let peer: Awaited<ReturnType<typeof createOrtWebGpuSession>> | undefined;
  const ortPeer = async () => {
    if (!peer) {
      const t = performance.now();
      peer = await createOrtWebGpuSession(await dawnGpu(), onnx.bytes, f['ort-dir']);
      progress(`ort-webgpu: session created in ${Math.round(performance.now() - t)} ms`);
    }
    return peer;
  };
  const work = async () => {
    const accuracy: unknown[] = [];
    const latency: unknown[] = [];
    const profile: unknown[] = [];
    const ortWebgpu: unknown[] = [];
    // Dense engine on the model's own weights: the latency baseline (values do not change the
    // time) and, with --compare-ort, the unpruned model's accuracy and logits check.
    // --attention-variant lists: the dense engine of each variant (the HP engines' one).
    const denseAtt = (att: string | undefined) => (attList && att ? { attention: att } : {});
    const dense = experiment?.engine(null, { ...size, ...tailOptions(tails[0]), ...denseAtt(hpAtts[0]) }).engine;
    // --cls-tail lists: a dense engine per tail mode too (the tail runs on dense layers alike).
    const denseKey = (tail: string | undefined, att: string | undefined) =>
      `${denseTailKey(tail)} ${attList ? att : ''}`;
    const denses = new Map([[denseKey(tails[0], hpAtts[0]), dense]]);
    const denseFor = (tail: string | undefined, att: string | undefined) => {
      // The linears' form is the HP engines' alone: a dense engine per tail / attention mode.
      const key = denseKey(tail, att);
      if (!denses.has(key))
        denses.set(
          key,
          experiment?.engine(null, { ...size, ...tailOptions(denseTailKey(tail)), ...denseAtt(att) }).engine,
        );
      return denses.get(key);
    };
    // The round trip under every run()'s wall time (the browser benchmark prints the same).
    const floor = gpu && !f['no-latency'] ? await readbackFloor(gpu.device) : undefined;
    // The largest dense forward for a while before the first timing (EncoderExperiment.spinUp), and
    // again for a fifth of that before every later one: the GPU lowers its clock in the idle and
    // light-load moments between timings (H200: a shape after another's wall-time runs read 2x slow).
    let spun = false;
    const spinUp = async () => {
      if (!dense || spinUpMs === 0) return;
      const ms = spun ? Math.max(100, spinUpMs / 5) : spinUpMs;
      spun = true;
      await experiment!.spinUp(dense, Math.max(...batches), Math.max(...seqs), ms);
    };
    try {
      if (doAccuracy && (f['compare-ort'] || f['save-logits'])) {
        const engineRes = await engineEval('dense@0', () => dense!);
        const row: Record<string, unknown> = { sparsity: 0, linears: 'dense', engine: accuracyOf(engineRes) };
        if (f['compare-ort']) {
          const ort = await createBertSession(onnx.bytes, { backend: 'wasm' });
          const ortRes = await evaluateSession(ort, tokenizer!, data!, evalOpts).finally(() => ort.release());
          Object.assign(row, {
            ort: accuracyOf(ortRes),
            ...compareLogits(engineRes.logits!, ortRes.logits!, model.config.labels),
          });
        }
        accuracy.push(row);
      }
      for (const [sparsity, tiles] of sparsities.flatMap((s) => hpTiles.map((t) => [s, t] as const))) {
        const config: PruneConfig = { pattern: 'hp', sparsity, score: 'magnitude', tr, tc, split };
        const pruned = prune.prune(config);
        const hpEngine: EncoderEngine | undefined = experiment?.engine(config, {
          ...size,
          ...(tiles.ln ? { hpLnTile: tiles.ln } : {}),
          ...(tiles.col ? { hpColumnTile: tiles.col } : {}),
          ...(tiles.live ? { hpLive: tiles.live } : {}),
          ...tailOptions(tiles.tail),
          ...(tiles.att ? { attention: tiles.att } : {}),
          ...(tiles.emb ? { embeddingsColumns: tiles.emb } : {}),
          ...(tiles.scale ? { int8Scale: tiles.scale } : {}),
        }).engine;
        const tileRow = {
          ...(lnTiles.length > 1 ? { hp_ln_tile: tiles.ln } : {}),
          ...(colTiles.length > 1 ? { hp_column_tile: tiles.col } : {}),
          ...(lives.length > 1 ? { hp_live: tiles.live } : {}),
          ...(tails.length > 1 ? { cls_tail: tiles.tail } : {}),
          ...(hpAtts.length > 1 ? { hp_attention: tiles.att ?? DEFAULT_ATTENTION } : {}),
          ...(embCols.length > 1 ? { embeddings_columns: tiles.emb ?? 'subgroup' } : {}),
          ...(scales.length > 1 ? { int8_scale: tiles.scale } : {}),
        };
        // The dense engine of this tail mode, timed beside the first HP engine of that mode.
        const tailDense = denseFor(tiles.tail, tiles.att);
        const firstTile = tiles === hpTiles.find((t) => denseFor(t.tail, t.att) === tailDense);
        const tileLabel =
          hpTiles.length > 1
            ? `/${[tiles.ln, tiles.col, tiles.live, tiles.tail, tiles.att, tiles.emb, tiles.scale]
                .filter(Boolean)
                .join('/')}`
            : '';
        try {
          const hpShapes = pruned.matrices
            .slice(0, 6)
            .map((m) => `${m.name.split('.').pop()} m=${m.params.m}/${m.params.tilesPerRow} k=${m.params.k}/${tc}`);
          if (doAccuracy) {
            const engineRes = await engineEval(`hp@${sparsity}${tileLabel}`, () => hpEngine!);
            const row: Record<string, unknown> = {
              sparsity,
              ...tileRow,
              achieved_sparsity: round(pruned.achievedSparsity),
              linears: 'hp',
              hp_layer0: hpShapes,
              engine: accuracyOf(engineRes),
            };
            if (f['compare-ort']) {
              const ort = await createBertSession(prune.prunedOnnx(config), { backend: 'wasm' });
              const ortRes = await evaluateSession(ort, tokenizer!, data!, evalOpts).finally(() => ort.release());
              Object.assign(row, {
                ort: accuracyOf(ortRes),
                ...compareLogits(engineRes.logits!, ortRes.logits!, model.config.labels),
              });
            }
            accuracy.push(row);
          }
          if (f.profile && tailDense && hpEngine) {
            for (const { batch, seq } of shapes) {
              for (const [linears, engine] of [
                ...(firstTile ? ([['dense', tailDense]] as const) : []),
                ['hp', hpEngine] as const,
              ]) {
                await spinUp();
                const p = await experiment!.profile(engine, batch, seq, {
                  reps: Math.min(reps, 30),
                  warmup: Math.min(warmup, 3),
                  leaveOut: Boolean(f['profile-leave-out']),
                  perDispatch: Boolean(f['profile-dispatches']),
                  prefix: Boolean(f['profile-prefix']),
                  pairs: Boolean(f['profile-pairs']),
                  coldBytes: coldMib * 2 ** 20,
                });
                const row = {
                  sparsity: linears === 'hp' ? sparsity : 0,
                  ...(linears === 'hp' ? tileRow : tails.length > 1 ? { cls_tail: tiles.tail } : {}),
                  ...(linears === 'dense' && attList ? { attention: tiles.att ?? DEFAULT_ATTENTION } : {}),
                  linears,
                  batch,
                  seq,
                  qkv: engine.qkvModes,
                  kernels: engine.kernelVariants(batch * seq),
                  ...(int8 ? { int8_layernorms: engine.int8LayerNorms() } : {}),
                  ...profileRow(p),
                };
                progress(`profile ${JSON.stringify(row)}`);
                profile.push(row);
              }
            }
          }
          if (!f['no-latency'] && tailDense && hpEngine) {
            for (const seq of seqs) {
              for (const batch of batches) {
                await spinUp();
                const d = await experiment!.latency(tailDense, batch, seq, reps, warmup);
                await spinUp();
                const h = await experiment!.latency(hpEngine, batch, seq, reps, warmup);
                latency.push({ ...latencyRow(sparsity, d, h, { dense: tailDense, hp: hpEngine }), ...tileRow });
              }
            }
          }
          if (f['compare-ort-webgpu'] && dense && hpEngine) {
            await spinUp();
            const rows = await compareWithOrtWebGpu({ dense, hp: hpEngine }, await ortPeer(), shapes, {
              vocab: model.config.vocab,
              reps,
              warmup,
              onRow: (r) => progress(`ort-webgpu ${JSON.stringify(r)}`),
            });
            ortWebgpu.push(...rows.map((r) => ({ sparsity, ...tileRow, ...r })));
          }
        } finally {
          hpEngine?.destroy();
        }
      }
      if (f['save-logits'])
        await writeFile(
          f['save-logits'],
          JSON.stringify({
            model: file,
            limit,
            max_length: maxLength,
            eval_batch: evalBatch,
            tile: `${tr}x${tc}`,
            split,
            weights,
            rows: saved,
          }),
        );
      return {
        accuracy,
        latency,
        dense_weight_bytes: dense?.weightBytes,
        qkv: dense && { dense: dense.qkvModes },
        fused_add_ln: dense?.fusedAddLn,
        ...(floor ? { readback_floor_ms: floorRow(floor) } : {}),
        ln_variant: dense?.layerNorm,
        ...(f.profile ? { profile } : {}),
        ...(f['compare-ort-webgpu'] ? { ort_webgpu: ortWebgpu } : {}),
      };
    } finally {
      for (const d of denses.values()) d?.destroy();
      await peer?.release();
    }
  };
  const t0 = performance.now();
  const result = await Promise.race([work(), lost]);
  return {
    adapter: adapter.label,
    timestamp_query: adapter.hasTimestampQuery,
    model: file,
    config: model.config,
    data: doAccuracy ? (f.data ?? DEFAULT_DATA) : undefined,
    tile: `${tr}x${tc}`,
    split,
    weights,
    ...(quant === 'int8' ? { quant } : {}),
    ...(f['dense-variant'] ? { dense_variant: f['dense-variant'] } : {}),
    ...(f['hp-variant'] ? { hp_variant: f['hp-variant'] } : {}),
    ...(hpColumns ? { hp_columns: hpColumns } : {}),
    ...(int8Ln ? { int8_layernorm: int8Ln } : {}),
    ...(int8Att ? { int8_attention: int8Att } : {}),
    ...(attSplits ? { int8_attention_splits: Number(attSplits) } : {}),
    ...(f['hp-column-tile'] ? { hp_column_tile: f['hp-column-tile'] } : {}),
    ...(hpFuseLn ? { hp_fuse_ln: hpFuseLn } : {}),
    ...(f['hp-ln-tile'] ? { hp_ln_tile: f['hp-ln-tile'] } : {}),
    ...(f['hp-live'] ? { hp_live: f['hp-live'] } : {}),
    ...(f['cls-tail'] ? { cls_tail: f['cls-tail'] } : {}),
    ...(f['embeddings-columns'] ? { embeddings_columns: f['embeddings-columns'] } : {}),
    ...(f['hp-attention'] ? { hp_attention: f['hp-attention'] } : {}),
    ...(denseDeferLn ? { dense_defer_ln: denseDeferLn } : {}),
    ...(lnColumnsRows ? { ln_columns_rows: lnColumnsRows } : {}),
    ...(qkvPad !== undefined ? { qkv_pad: qkvPad } : {}),
    ...(submitChunks ? { submit_chunks: submitChunks.length ? submitChunks : 'one' } : {}),
    ...(recordSlice !== undefined ? { record_slice: recordSlice } : {}),
    ...(readbackFirst ? { readback_first: readbackFirst } : {}),
    attention_variant: f['attention-variant'] ?? DEFAULT_ATTENTION,
    max_length: maxLength,
    eval_batch: evalBatch,
    reps,
    warmup,
    ...result,
    total_s: round((performance.now() - t0) / 1000, 1),
  };
}
