// What the linear kernels take and give (index.ts documents the contract): the options of a
// dense and of an HP-sparse layer, and the GpuLinear object both runners return.
import type { HPMatrix } from '../../core/formats/hp';
import type { BufferArg, EncodeTarget, KernelLayout } from '../kernel';
import type { SplitK } from './variant-rule';

export type WeightPrecision = 'f32' | 'f16';

export interface DenseLinearOptions {
  /** Largest token count (rows of X) `encode` will be called with; sizes the limit checks. */
  tokens: number;
  in: number;
  out: number;
  /** W, row-major, out x in (Linear.weight). */
  weight: Float32Array;
  /** `out` values; zeros when absent. */
  bias?: Float32Array;
  /** Apply erf-exact GELU after the bias (BERT's FFN-in). */
  gelu?: boolean;
  /** How W is stored on the GPU: 'f16' halves its bytes (needs in % 4 == 0); math stays f32. */
  weights?: WeightPrecision;
  /** Force a register-tile config by name (DENSE_TILES); benchmarks only. Default: chosen per token count. */
  tile?: string;
  /** Split-K (not with gelu): the tiled kernel may split the K-range into this many slices ('auto':
   *  the variant rule decides per token count, at most MAX_SPLIT_K; 'engine': the encoder's
   *  default, variant-rule.ts) and write each slice's partial sums to its own tokens x out block of
   *  the output, the bias in the first; the caller adds them (the encoder's residual + LayerNorm
   *  does). `partsFor(tokens)` tells how many. Default 1. */
  splitK?: SplitK;
  /** Also build the deferred LayerNorm's two halves (GpuLinear.deferLn; in % 4 == 0, out % 4 ==
   *  0, unsplit): this epsilon is the LayerNorm's the linear reads its input through. */
  deferLn?: { eps: number };
  label?: string;
}

/** Which of a linear's outputs a later kernel reads (1) and what the columns kernel makes of it:
 *  the tile-rows with none are not run; with `mask` the other unread outputs are not stored either.
 *  Exact: the outputs that are read are the same sums (the engine: FFN-in's outputs no kept column
 *  of the HP FFN-out reads, the V outputs whose context column no kept column of the HP attention
 *  output reads, the Q/K/V pad rows). */
export interface LiveOutputs {
  live: Uint8Array;
  mask: boolean;
  /** Calls of fewer tokens run every tile-row and store every output. */
  minTokens: number;
}

export interface HPLinearOptions {
  /** Largest token count `encode` will be called with. */
  tokens: number;
  /** W in HP format (core/formats/hp.ts); Tr must be a multiple of 4 (8, 16, 32 …), any Tc ≤ 256. */
  hp: HPMatrix;
  bias?: Float32Array;
  gelu?: boolean;
  /** The HP values' type on the GPU (the format's value type): 'f16' halves them; math stays f32. */
  weights?: WeightPrecision;
  /** Force a tile config by name (HP_TILES); benchmarks only. */
  tile?: string;
  /** Force the columns kernel's tile by name (hp-columns.ts COLUMN_TILES); benchmarks only. */
  columnTile?: string;
  /** Force the fused linear + residual + LayerNorm kernel's tile (hp-columns-ln.ts COLUMNS_LN_TILES). */
  lnTile?: string;
  /** The outputs later kernels read, for the columns kernel (LiveOutputs, hp-columns.ts); absent: all. */
  live?: LiveOutputs;
  label?: string;
}

/** One linear layer on the GPU, weights resident. */
export interface GpuLinear {
  readonly kind: 'dense' | 'hp';
  readonly in: number;
  readonly out: number;
  /** The `tokens` given at creation: the most `encode` accepts. */
  readonly maxTokens: number;
  /** Bytes of the weight, index and bias buffers on the GPU. */
  readonly weightBytes: number;
  /** Those buffers, where the linear exposes them (a prefetch reads them into the GPU's cache; the
   *  linear owns them). HP linears: its row kernel's and its columns path's. */
  readonly weights?: readonly GPUBuffer[];
  /** Floating-point operations actually performed for `tokens` (2 per stored weight per token). */
  flops(tokens?: number): number;
  /** Name of the tile config `encode` would use for `tokens` (for reports). */
  tileFor(tokens?: number): string;
  /** How many K-slices `encode` writes for `tokens` (DenseLinearOptions.splitK): the output then
   *  holds that many tokens x out blocks whose sum is Y. 1 for every other linear; optional so
   *  that GpuLinear objects built elsewhere need not say it. */
  partsFor?(tokens?: number): number;
  /**
   * Records Y = X·Wᵀ + b (GELU) for the first `tokens` rows (default maxTokens) into `target`:
   * an open compute pass (one setPipeline/setBindGroup/dispatch is added) or a command encoder
   * (a compute pass is begun and ended). `input` holds at least tokens*in f32, `output` at least
   * partsFor(tokens)*tokens*out f32; both need STORAGE usage and must not overlap. tokens = 0 records nothing.
   */
  encode(target: EncodeTarget, input: BufferArg, output: BufferArg, tokens?: number): void;
  /** HP linears with out % 4 == 0: the same product on X as columns (hp-columns.ts), input
   *  in x P floats (P = tokens rounded up to 4), output tokens x out or, `outColumns`, out x P. */
  columns?: HPColumnsPath;
  /** Dense linears built with DenseLinearOptions.deferLn: the LayerNorm deferred to the next linear. */
  deferLn?: DenseDeferredLn;
  /** int8 linears (int8-gpu-linear.ts): the buffers its quantize pass writes X's codes and
   *  per-token scales into (codes as rows of int8RowWords(in) words, or as columns of
   *  `columnWords` words where that is not 0), and the product from them without that pass (the
   *  caller wrote them: the int8 residual + LayerNorm). */
  int8Input?: {
    codes: GPUBuffer;
    scales: GPUBuffer;
    columnWords: number;
    /** The 'read' scale's column mask (readMaskWords) where the linear reads some columns only:
     *  whoever writes the codes takes the scale over those and writes 0 for the rest. */
    readMask?: GPUBuffer;
    /** The same, as 1 for each input column read. */
    read?: Uint8Array;
    encode(target: EncodeTarget, output: BufferArg, tokens: number): void;
  };
  /** Frees the weight buffers and cached uniforms; the object is unusable afterwards. */
  destroy(): void;
}

/** An HP linear fused with its bias, the residual and LayerNorm (hp-columns-ln.ts). */
export interface HPColumnsLn {
  readonly layout: KernelLayout;
  /** Whether its tile for few tokens (AUTO_FEW_TOKENS) runs here (or a tile was forced). */
  readonly fewTokens: boolean;
  tileFor(tokens: number): string;
  /** A bind group: params {tokens, -, eps} (16-byte uniform), X (as rows, tokens x in, with
   *  `inRows`; else as columns, in x P), gamma then beta (2 x out), x (tokens x out, the residual,
   *  normalised in place) and xt (out x P; written with `outColumns`). */
  bind(params: GPUBuffer, input: BufferArg, gammaBeta: GPUBuffer, x: BufferArg, xt: BufferArg): GPUBindGroup;
  encode(pass: GPUComputePassEncoder, group: GPUBindGroup, tokens: number, inRows: boolean, outColumns: boolean): void;
}

/** The encoder's LayerNorm deferred to the linear after it (dense-linear.wgsl STATS_OUT, NORM_IN):
 *  the attention-output / FFN-out linear writes y = X·Wᵀ + b + residual un-normalised and each
 *  row's statistics (deferredSlots(out) vec4 slots a row); the next linear (Q/K/V, FFN-in) reads y
 *  through that LayerNorm and writes the normalised rows for the next residual. */
export interface DenseDeferredLn {
  /** Whether both halves run for `tokens` (a register tile, unsplit). */
  available(tokens: number): boolean;
  /** output = input · Wᵀ + b + resid (tokens x out), stats: the rows' slots. */
  encodeStats(
    target: EncodeTarget,
    input: BufferArg,
    resid: BufferArg,
    output: BufferArg,
    stats: BufferArg,
    tokens: number,
  ): void;
  /** output = LayerNorm(input) · Wᵀ + b (GELU), LayerNorm from stats and gammaBeta (gamma then beta,
   *  2 x in); xn = LayerNorm(input) (tokens x in). */
  encodeNorm(
    target: EncodeTarget,
    input: BufferArg,
    stats: BufferArg,
    gammaBeta: BufferArg,
    xn: BufferArg,
    output: BufferArg,
    tokens: number,
  ): void;
}

/** A columns call's form beyond the default (X as columns, one workgroup a tile-row and token block). */
export interface HPColumnsCall {
  /** Workgroups a tile-row and token block, each a share of the kept columns, writing `splits` slices
   *  of partial sums as rows (tokens x out each, the bias in the first) for the residual + LayerNorm
   *  to add: few tokens, many workgroups. Not with GELU nor outColumns. */
  splits?: number;
  /** X as rows (tokens x in; in a multiple of 4). */
  inRows?: boolean;
}

/** An HP linear's product on X as columns (hp-columns.ts). */
export interface HPColumnsPath {
  tileFor(tokens: number): string;
  /** Kept columns a tile-row (what a K split divides). */
  readonly keptColumns: number;
  /** Y = X·Wᵀ + b from XT (in x P); Y as rows (tokens x out) or, `outColumns`, as out x P. */
  encode(
    target: EncodeTarget,
    input: BufferArg,
    output: BufferArg,
    tokens: number,
    outColumns: boolean,
    call?: HPColumnsCall,
  ): void;
  /** The product fused with its bias, the residual and LayerNorm (out = the hidden size); null
   *  where it does not run (hp-columns-ln.ts). */
  readonly addLn: HPColumnsLn | null;
}
