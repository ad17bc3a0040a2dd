// The per-token row kernels: embeddings (gathers + LayerNorm) and residual + LayerNorm.
import rowNormWgsl from './row-norm.wgsl?raw';
import embeddingsWgsl from './embeddings.wgsl?raw';
import embeddingsInputsWgsl from './embeddings-inputs.wgsl?raw';
import embeddingsColsWgsl from './embeddings-subgroup-cols.wgsl?raw';
import subgroupLayerNormWgsl from './subgroup-layernorm.wgsl?raw';
import rowsToColumnsWgsl from './rows-to-columns.wgsl?raw';
import addLayerNormWgsl from './add-layernorm.wgsl?raw';
import addLayerNormSubgroupWgsl from './add-layernorm-subgroup.wgsl?raw';
import addLayerNormRowWgsl from './add-layernorm-subgroup-row.wgsl?raw';
import addLayerNormColsWgsl from './add-layernorm-subgroup-cols.wgsl?raw';
import addLayerNormInt8Wgsl from './add-layernorm-int8.wgsl?raw';
import clsGatherWgsl from './cls-gather.wgsl?raw';
import int8ScaleWgsl from '../kernels/int8-scale.wgsl?raw';
import subgroupCommonWgsl from '../kernels/subgroup-common.wgsl?raw';
import { bindingLayout, compilePipeline, rowGrid, withConsts, type BindingKind, type KernelLayout } from '../kernel';
import type { GpuCapabilities } from '../adapter';
import { deviceHasSubgroups } from '../kernels/subgroup-variant';
import { hoistDirectives } from '../kernels/linear-common';
import { expandWgsl } from '../kernels/wgsl-template';
import { int8RowWords } from '../../core/quant/gpu-layout';

/** Threads per row: enough to cover H in a few values each, a power of two. */
function rowWorkgroup(hidden: number, maxThreads: number): number {
  let wg = 32;
  while (wg < 256 && wg * 2 <= maxThreads && wg * 4 <= hidden) wg *= 2;
  return wg;
}

export interface RowKernel {
  pipeline: GPUComputePipeline;
  layout: KernelLayout;
  /** Dispatches one workgroup per row for `rows` rows (residual + LayerNorm: `parts` split-K
   *  blocks of `a` to add, a pipeline each, compiled on first use; default 1). */
  encode(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, rows: number, parts?: number): void;
}

function rowKernel(
  device: GPUDevice,
  label: string,
  source: string,
  hidden: number,
  bindings: BindingKind[],
  consts: Record<string, boolean> = {},
): RowKernel {
  const wg = rowWorkgroup(hidden, device.limits.maxComputeInvocationsPerWorkgroup);
  const layout = bindingLayout(device, label, bindings);
  const compile = (parts: number) =>
    compilePipeline(
      device,
      layout,
      label,
      withConsts(
        { H: hidden, WG: wg, PER: Math.ceil(hidden / wg), PARTS: parts, ...consts },
        rowNormWgsl,
        expandWgsl(source, consts),
      ),
    );
  return rowDispatch(device, layout, compile, 1);
}

/** A row kernel that covers `rowsPerGroup` token rows a workgroup; `compile(parts)` builds its
 *  pipeline for `parts` blocks of input (parts = 1 at once, others when first encoded). */
function rowDispatch(
  device: GPUDevice,
  layout: KernelLayout,
  compile: (parts: number) => GPUComputePipeline,
  rowsPerGroup: number,
): RowKernel {
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const pipelines = new Map([[1, compile(1)]]);
  return {
    pipeline: pipelines.get(1)!,
    layout,
    encode(pass, bindGroup, rows, parts = 1) {
      let pipeline = pipelines.get(parts);
      if (!pipeline) pipelines.set(parts, (pipeline = compile(parts)));
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...rowGrid(Math.ceil(rows / rowsPerGroup), maxDim));
    },
  };
}

/** Bindings: params {tokens, seq, eps}, ids, types, word, pos, tokType, gammaBeta, out, and with
 *  `columns` xt (out as columns, H x P: what the HP linears on columns read). */
export function createEmbeddingsKernel(device: GPUDevice, hidden: number, columns = false): RowKernel {
  return rowKernel(
    device,
    columns ? 'encoder.embeddings+columns' : 'encoder.embeddings',
    `${embeddingsInputsWgsl}\n${embeddingsWgsl}`,
    hidden,
    ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'write', ...(columns ? (['write'] as const) : [])],
    { XT: columns },
  );
}

/** The consts of a rows-to-columns.wgsl kernel of `rows` rows a workgroup (up to 8 subgroups, each
 *  taking rows / subgroups of them), or null where the subgroup LayerNorm or the staged rows do not
 *  fit the device. */
function rowsToColumnsConsts(
  device: GPUDevice,
  hidden: number,
  caps: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'> | undefined,
  rows: number,
): Record<string, number> | null {
  const sg = caps?.subgroupMinSize;
  if (!sg || !subgroupLayerNormFits(device, caps)) return null;
  const subgroups = Math.min(rows, 8, Math.floor(device.limits.maxComputeInvocationsPerWorkgroup / sg));
  if (subgroups < 1 || rows % subgroups !== 0) return null;
  if (rows * hidden * 4 > device.limits.maxComputeWorkgroupStorageSize) return null;
  return { H: hidden, WG: subgroups * sg, SG: sg, PER: Math.ceil(hidden / sg), R: rows };
}

/** Rows a workgroup of the subgroup embeddings that write columns (as the columns LayerNorm's
 *  default: each column's rows written as one 32-byte run). */
const EMBEDDINGS_COLUMNS_ROWS = 8;

/** The embeddings a subgroup a row, writing x as rows and as columns (embeddings-subgroup-cols.wgsl),
 *  EMBEDDINGS_COLUMNS_ROWS rows a workgroup; null where the subgroup LayerNorm does not fit. For
 *  many tokens, where embeddings.wgsl's own columns form (a workgroup a token, 4-byte column
 *  stores) loses to a transpose step. Bindings: those of createEmbeddingsKernel with `columns`. */
export function createEmbeddingsColumnsKernel(
  device: GPUDevice,
  hidden: number,
  caps?: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
): RowKernel | null {
  const rows = EMBEDDINGS_COLUMNS_ROWS;
  const consts = rowsToColumnsConsts(device, hidden, caps, rows);
  if (!consts) return null;
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'write', 'write'];
  const layout = bindingLayout(device, 'encoder.embeddings-cols', bindings);
  const code = hoistDirectives(
    withConsts(
      consts,
      subgroupCommonWgsl,
      embeddingsInputsWgsl,
      embeddingsColsWgsl,
      subgroupLayerNormWgsl,
      rowsToColumnsWgsl,
    ),
  );
  return rowDispatch(
    device,
    layout,
    () => compilePipeline(device, layout, `encoder.embeddings cols r${rows}`, code),
    rows,
  );
}

/** The [CLS] rows' gather (cls-gather.wgsl): one workgroup a sequence. Bindings: params {batch,
 *  seq}, ctx, x, ctxCls, xCls (batch x hidden each). */
export function createClsGatherKernel(device: GPUDevice, hidden: number): RowKernel {
  return rowKernel(device, 'encoder.cls-gather', clsGatherWgsl, hidden, ['uniform', 'read', 'read', 'write', 'write']);
}

/** How the residual + LayerNorm kernel reduces a row: 'tree' (a workgroup a row, sums through
 *  workgroup memory) or 'subgroup' (a subgroup a row, subgroupAdd; needs the 'subgroups' feature
 *  and one fixed subgroup size). */
export const LAYERNORM_VARIANTS = ['tree', 'subgroup'] as const;
export type LayerNormVariant = (typeof LAYERNORM_VARIANTS)[number];

/** Rows a workgroup of the subgroup variant is WG / subgroup size. */
const SUBGROUP_LN_WG = 128;

/** Whether the 'subgroup' variant runs on this device: the feature, and one subgroup size (the
 *  kernel strides rows by it) that divides its workgroup. */
export function subgroupLayerNormFits(
  device: GPUDevice,
  caps?: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
): boolean {
  const sg = caps?.subgroupMinSize;
  return deviceHasSubgroups(device) && !!sg && sg === caps?.subgroupMaxSize && SUBGROUP_LN_WG % sg === 0;
}

/** The engine's default: 'subgroup' where it fits (on the H200 the 8 residual LayerNorms of a
 *  B=32 L=128 forward took 0.043 ms against the tree's 0.075; BENCHMARKS.md, issue 19 fourth
 *  pass), 'tree' elsewhere. */
export function defaultLayerNormVariant(
  device: GPUDevice,
  caps?: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
): LayerNormVariant {
  return subgroupLayerNormFits(device, caps) ? 'subgroup' : 'tree';
}

/** Bindings: params {tokens, -, eps}, a, x (in place), gammaBeta. */
export function createAddLayerNormKernel(
  device: GPUDevice,
  hidden: number,
  variant: LayerNormVariant = 'tree',
  caps?: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
): RowKernel {
  const bindings: BindingKind[] = ['uniform', 'read', 'write', 'read'];
  if (variant === 'tree') return rowKernel(device, 'encoder.add-layernorm', addLayerNormWgsl, hidden, bindings);
  if (variant !== 'subgroup') throw new RangeError(`LayerNorm variant '${variant}' is not one of tree, subgroup`);
  const sg = caps?.subgroupMinSize;
  if (!sg || !subgroupLayerNormFits(device, caps))
    throw new RangeError(
      "the 'subgroup' LayerNorm needs the 'subgroups' feature and one subgroup size " +
        `(this adapter: ${sg ?? '?'}-${caps?.subgroupMaxSize ?? '?'} lanes)`,
    );
  const label = 'encoder.add-layernorm subgroup';
  const consts = { H: hidden, WG: SUBGROUP_LN_WG, SG: sg, PER: Math.ceil(hidden / sg) };
  const layout = bindingLayout(device, 'encoder.add-layernorm', bindings);
  const compile = (parts: number) =>
    compilePipeline(
      device,
      layout,
      label,
      hoistDirectives(
        withConsts(
          { ...consts, PARTS: parts },
          subgroupCommonWgsl,
          addLayerNormRowWgsl,
          subgroupLayerNormWgsl,
          addLayerNormSubgroupWgsl,
        ),
      ),
    );
  return rowDispatch(device, layout, compile, SUBGROUP_LN_WG / sg);
}

/** Rows a workgroup of the columns LayerNorm may take (each column's rows are written as one run of
 *  16 * rows / 4 bytes). H200, B=32 L=128 HP 90 %, 8 LayerNorms (BENCHMARKS.md, issue 19 seventh
 *  pass): 4 rows 0.074 ms, 8 rows 0.052, 16 rows 0.054; the engine takes 8 where it fits. */
export const COLUMNS_LN_ROWS = [4, 8, 16] as const;

/** The subgroup residual + LayerNorm that also writes x as columns (hidden x tokens rounded up to
 *  4) for the HP linears on columns (hp-columns.ts), `rows` rows a workgroup (up to 8 subgroups,
 *  each taking rows / subgroups of them); null where the subgroup variant does not fit. Bindings:
 *  params {tokens, -, eps}, a, x (in place), gammaBeta, xt. */
export function createAddLayerNormColumnsKernel(
  device: GPUDevice,
  hidden: number,
  caps?: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'>,
  rows: (typeof COLUMNS_LN_ROWS)[number] = 4,
): RowKernel | null {
  if (!COLUMNS_LN_ROWS.includes(rows)) throw new RangeError(`columns LayerNorm rows must be one of ${COLUMNS_LN_ROWS}`);
  const consts = rowsToColumnsConsts(device, hidden, caps, rows);
  if (!consts) return null;
  const layout = bindingLayout(device, 'encoder.add-layernorm-cols', ['uniform', 'read', 'write', 'read', 'write']);
  const compile = (parts: number) =>
    compilePipeline(
      device,
      layout,
      `encoder.add-layernorm subgroup cols r${rows}`,
      hoistDirectives(
        withConsts(
          { ...consts, PARTS: parts },
          subgroupCommonWgsl,
          addLayerNormRowWgsl,
          subgroupLayerNormWgsl,
          addLayerNormColsWgsl,
          rowsToColumnsWgsl,
        ),
      ),
    );
  return rowDispatch(device, layout, compile, rows);
}

/** Subgroups a workgroup of the int8 LayerNorm's columns form (16 rows: 2 rows a subgroup at 32 lanes). */
const INT8_LN_COLUMN_SUBGROUPS = 8;

/** The subgroup residual + LayerNorm that also writes x's int8 codes and per-token scales for the
 *  next int8 linear (add-layernorm-int8.wgsl; the codes and scales int8-quantize.ts would write
 *  from x, bit for bit): as rows (tokens x int8RowWords(hidden) words) or, `columns`, as columns
 *  of the params' tw words (int8ColumnWords of the linear's tokens; 16 tokens a workgroup). Null
 *  where the subgroup variant does not fit or hidden is not a multiple of 4. Bindings: params
 *  {tokens, tw, eps}, a, x (in place), gammaBeta, codes, scales. */
export function createAddLayerNormInt8Kernel(
  device: GPUDevice,
  hidden: number,
  caps: Pick<GpuCapabilities, 'subgroupMinSize' | 'subgroupMaxSize'> | undefined,
  columns: boolean,
  read = false,
): RowKernel | null {
  const sg = caps?.subgroupMinSize;
  if (!sg || hidden % 4 !== 0 || !subgroupLayerNormFits(device, caps)) return null;
  const words = int8RowWords(hidden);
  const subgroups = columns
    ? Math.min(INT8_LN_COLUMN_SUBGROUPS, Math.floor(device.limits.maxComputeInvocationsPerWorkgroup / sg))
    : SUBGROUP_LN_WG / sg;
  if (subgroups < 1 || (columns && 16 * words * 4 > device.limits.maxComputeWorkgroupStorageSize)) return null;
  const layout = bindingLayout(device, `encoder.add-layernorm-int8${read ? ' read' : ''}`, [
    'uniform',
    'read',
    'write',
    'read',
    'write',
    'write',
    ...(read ? (['read'] as const) : []),
  ]);
  const w4 = hidden / 4;
  const consts = { H: hidden, W4: w4, WG: subgroups * sg, SG: sg, PER4: Math.ceil(w4 / sg), WORDS: words };
  const compile = (parts: number) =>
    compilePipeline(
      device,
      layout,
      `encoder.add-layernorm int8${columns ? ' cols' : ''}${read ? ' read' : ''}`,
      hoistDirectives(
        withConsts(
          { ...consts, PARTS: parts },
          subgroupCommonWgsl,
          expandWgsl(addLayerNormInt8Wgsl, { COLUMNS: columns, READ: read }),
          int8ScaleWgsl,
        ),
      ),
    );
  return rowDispatch(device, layout, compile, columns ? 16 : subgroups);
}
