// The engine's state for one allocation (engine.ts allocate) that the forward's steps bind
// (forward-steps.ts): the layers' linears, the activation buffers and the bind groups of every op.
import type { GpuLinear } from '../kernels';
import type { Int8HpLn } from '../kernels/int8-hp-ln';
import type { RowKernel } from './row-ops';
import type { TailBuffers } from './tail-hp';

export interface LayerLinears {
  /** The fused Q/K/V linear, or the three apart. */
  qkv: GpuLinear[];
  /** Null where the linear runs fused with its residual + LayerNorm (fusedOut). */
  attnOut: GpuLinear | null;
  ffnIn: GpuLinear;
  ffnOut: GpuLinear | null;
}

/** A layer's linears that exist (the fused ones are not in LayerLinears). */
export const layerLinears = (l: LayerLinears): GpuLinear[] =>
  [...l.qkv, l.attnOut, l.ffnIn, l.ffnOut].filter((x): x is GpuLinear => x !== null);

/** The bind groups of what follows a layer's attention on one set of rows: every token's, or
 *  clsTail's [CLS] rows (their own x, context and uniforms). */
export interface OutputGroups {
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
export type Int8LnGroup = { kernel: RowKernel; group: GPUBindGroup; next: NonNullable<GpuLinear['int8Input']> };
/** int8: an HP output linear fused with its quantizer, residual + LayerNorm and the next linear's
 *  codes (int8FuseLn; next null: none follows). */
export type Int8FusedGroup = { kernel: Int8HpLn; group: GPUBindGroup; next: GpuLinear['int8Input'] | null };

/** clsTail: the gather of the [CLS] rows, the last layer's groups on them, the head reading them. */
export interface TailGroups extends OutputGroups {
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

/** The activation buffers (allocate: sized for the capacity's tokens and batch). */
export type Activations = Record<
  'tokens' | 'x' | 'xt' | 'ctx' | 'a' | 'f' | 'stats' | 'logits' | 'readback' | 'clsX' | 'clsCtx' | 'clsH' | 'x2',
  GPUBuffer
>;

/** The bind groups of every op of the forward on the current activations. */
export interface EngineGroups {
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
