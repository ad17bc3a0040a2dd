// CPU and GPU latency: a roofline per operator (compute at peak x efficiency, memory at
// bandwidth x efficiency, whichever is slower) plus a fixed cost per operator (kernel launch,
// operator dispatch). Sparse linears run at a useful-throughput ratio of the dense kernel; a
// runtime takes the dense kernel when it is faster, and so does this model.
//
// The efficiencies default to literature estimates. When the visitor's own CPU/GPU has been
// measured (onnxruntime-web wasm, the project's WGSL kernels), the measured efficiencies are
// carried over to every modelled device of the same kind, and the result says so.
import type { BertConfig } from '../model/bert-types';
import { isHPStructured } from '../pruning/types';
import type { CpuDevice, GpuDevice, GpuPrecision, Source } from './types';
import { bertWorkload, type Op, type Pattern, type Workload } from './workload';

export type SparseClass = 'structured' | 'unstructured';

/** hp/tile/vector keep contiguous vectors (index per vector); the rest are element-sparse. */
export function sparseClass(p: Pattern): SparseClass {
  return isHPStructured(p) ? 'structured' : 'unstructured';
}

export interface SparsePoint {
  density: number;
  /** Useful GFLOP/s (2 x kept MACs / time) of the sparse kernel at that density. */
  gflops: number;
  pattern?: Pattern;
}

/** A device the visitor measured in this browser. */
export interface MeasuredDevice {
  kind: 'cpu' | 'gpu';
  label: string;
  /** Catalog entry this device is, when known (its peak turns throughput into efficiency). */
  catalogId?: string;
  /** Peak f32 GFLOP/s when known another way. */
  peakGflops?: number;
  /** Bandwidth when known (GB/s); otherwise the catalog entry's, else a default. */
  bandwidthGBs?: number;
  /** Dense matrix product throughput reached (GFLOP/s), e.g. a TinyBERT-sized linear. */
  denseGflops: number;
  /** Sparse kernel throughput at one or more densities. */
  sparse?: SparsePoint[];
  /** A software adapter (SwiftShader, llvmpipe, WARP: the GPU emulated on the CPU), as the
   *  adapter says of itself (isFallbackAdapter). Its figures describe the emulator, so they are
   *  never carried to hardware devices. */
  software?: boolean;
  /** A whole-encoder measurement (ms for batch x seq of `config`, at `density`). */
  encoder?: { batch: number; seq: number; ms: number; config?: BertConfig; density?: number; pattern?: Pattern };
}

export interface Efficiency {
  /** Fraction of peak f32 for large dense matrix products. */
  dense: number;
  /** Useful throughput of the sparse kernel / dense throughput, by class and density. */
  sparseRel: (cls: SparseClass, density: number) => number;
  /** Fraction of peak bandwidth for streaming ops. */
  bandwidth: number;
  origin: string;
}

const gale: Source = {
  name: 'Gale et al., Sparse GPU Kernels for Deep Learning, SC 2020 (cuSPARSE vs cuBLAS on DNN matrices)',
  url: 'https://arxiv.org/abs/2006.10901',
};
const gray: Source = {
  name: 'Gray, Radford, Kingma, GPU Kernels for Block-Sparse Weights, OpenAI 2017',
  url: 'https://cdn.openai.com/blocksparse/blocksparsepaper.pdf',
};
const cublas: Source = {
  name: 'cuBLAS / oneDNN SGEMM: large fp32 GEMMs reach 70-90% of peak (vendor benchmarks)',
  url: 'https://docs.nvidia.com/cuda/cublas/',
};

/** Literature defaults (all estimates). */
export const DEFAULT_EFFICIENCY: Record<'cpu' | 'gpu', Efficiency & { sources: Source[] }> = {
  gpu: {
    dense: 0.7,
    bandwidth: 0.8,
    origin: 'default GPU efficiency (estimate)',
    sources: [cublas, gale, gray],
    // cuSPARSE needs >90% sparsity to beat cuBLAS (Gale et al.): ~0.1 of dense throughput;
    // block-sparse kernels with 16-32 wide blocks reach about half of dense (Gray et al.).
    sparseRel: (cls) => (cls === 'structured' ? 0.5 : 0.1),
  },
  cpu: {
    dense: 0.6,
    bandwidth: 0.7,
    origin: 'default CPU efficiency (estimate)',
    sources: [cublas],
    // CSR SpMM on CPUs: ~1/4 of dense GEMM throughput; vector-blocked formats ~0.6 (estimates).
    sparseRel: (cls) => (cls === 'structured' ? 0.6 : 0.25),
  },
};

/** Sparse/dense ratio from measurements: piecewise linear in density, flat beyond the ends. */
export function interpolateSparse(points: SparsePoint[], denseGflops: number, density: number): number {
  const pts = [...points].filter((p) => p.density > 0 && p.gflops > 0).sort((a, b) => a.density - b.density);
  if (pts.length === 0 || denseGflops <= 0) return NaN;
  const rel = (p: SparsePoint) => p.gflops / denseGflops;
  if (density <= pts[0].density) return rel(pts[0]);
  for (let i = 1; i < pts.length; i++) {
    if (density <= pts[i].density) {
      const a = pts[i - 1];
      const b = pts[i];
      const t = (density - a.density) / (b.density - a.density);
      return rel(a) + t * (rel(b) - rel(a));
    }
  }
  return rel(pts[pts.length - 1]);
}

/** Whether a measurement may stand for hardware of its kind (a software GPU may not). */
export function carriesToHardware(m: MeasuredDevice): boolean {
  return !(m.kind === 'gpu' && m.software);
}

/** Efficiency of a kind of device, from a measurement when there is one. */
export function efficiencyFor(
  kind: 'cpu' | 'gpu',
  measured: MeasuredDevice | undefined,
  peakOfMeasured: number | undefined,
): Efficiency {
  const base = DEFAULT_EFFICIENCY[kind];
  if (!measured) return base;
  if (!carriesToHardware(measured))
    return { ...base, origin: `${base.origin}; ${measured.label} is a software adapter, not carried to hardware` };
  const peak = measured.peakGflops ?? peakOfMeasured;
  const dense = peak ? Math.min(1, Math.max(0.005, measured.denseGflops / peak)) : base.dense;
  const pts = measured.sparse ?? [];
  const byClass = (cls: SparseClass) => pts.filter((p) => !p.pattern || sparseClass(p.pattern) === cls);
  return {
    dense,
    bandwidth: base.bandwidth,
    sparseRel: (cls, density) => {
      const r = interpolateSparse(byClass(cls), measured.denseGflops, density);
      return Number.isFinite(r) ? r : base.sparseRel(cls, density);
    },
    origin: `carried from measured ${measured.label}` + (peak ? '' : ' (sparse/dense ratio only: its peak is unknown)'),
  };
}

export interface RooflineOp {
  name: string;
  ms: number;
  bound: 'compute' | 'memory' | 'overhead';
  /** Whether a sparse kernel was used (else dense, zeros included). */
  sparseKernel?: boolean;
}

export interface RooflineEstimate {
  latencyMs: number;
  ops: RooflineOp[];
  /** Useful FLOPs / (latency x peak). */
  peakShare: number;
  powerW: number;
  energyMj: number;
  efficiency: string;
  /** The precision the matrix products ran in. */
  precision: GpuPrecision;
}

/** Per-unit rate of an output tile of t x t, relative to 64 x 64 and up: smaller tiles reuse
 *  each loaded value fewer times (estimates in the spirit of cuBLAS/CUTLASS tile tables). */
const TILE_RATE: ReadonlyArray<[number, number]> = [
  [128, 1],
  [64, 1],
  [32, 0.8],
  [16, 0.5],
];
/** Split-K: each K chunk >= 128 deep; the partial sums cost a reduction (~10%). */
const SPLIT_K_MIN_DEPTH = 128;
const SPLIT_K_RATE = 0.9;

/** Share of the device's parallel units a matrix product keeps busy. A GEMM library picks the
 *  output tile (128 down to 16) and a split of K so that every SM gets work, paying a lower
 *  per-unit rate for small tiles; the last wave is partly idle. (One 64x64 tile per SM, the
 *  previous model, left most of a large GPU idle on TinyBERT's small products.) */
export function occupancy(mm: Pick<NonNullable<Op['mm']>, 'rows' | 'out' | 'in' | 'instances'>, units: number): number {
  let best = 0;
  for (const [t, rate] of TILE_RATE) {
    const tiles = Math.ceil(mm.rows / t) * Math.ceil(mm.out / t) * mm.instances;
    const maxSplit = Math.max(1, Math.floor(mm.in / SPLIT_K_MIN_DEPTH));
    for (let split = 1; split <= maxSplit; split *= 2) {
      const work = tiles * split;
      const wave = work / (Math.ceil(work / units) * units);
      best = Math.max(best, wave * rate * (split > 1 ? SPLIT_K_RATE : 1));
    }
  }
  return best;
}

const F32 = 4;

/** How a GPU runs the matrix products: fp32 on CUDA cores or a tensor-core precision, and
 *  whether 2:4-pruned linears use the sparse tensor cores. */
export interface GpuMode {
  precision: GpuPrecision;
  /** Run 2:4 N:M configurations on the sparse tensor cores (2x the dense tensor rate). */
  sparse24?: boolean;
}

/** Bytes per stored value: weights and activations in the precision of the products (tf32
 *  keeps fp32 storage; int8 keeps fp16 activations between the quantized products). */
const VALUE_BYTES: Record<GpuPrecision, { weight: number; act: number }> = {
  fp32: { weight: 4, act: 4 },
  tf32: { weight: 4, act: 4 },
  fp16: { weight: 2, act: 2 },
  int8: { weight: 1, act: 2 },
};

/** Large-GEMM share of the tensor-core peak reached by vendor libraries (cuBLASLt/CUTLASS on
 *  Ampere/Hopper: 60-80%; an estimate). Measured fp32 efficiency is not carried to it. */
export const TENSOR_EFFICIENCY = 0.65;

/** 2:4 sparse tensor cores: N:M with M = 4 and N <= 2 along the input (the pattern's axis). */
export function runsOnSparseTensorCores(s: Workload['sparsity']): boolean {
  return s.pattern === 'nm' && !!s.nm && s.nm.m === 4 && s.nm.n <= 2;
}

/** Index bytes per kept value: CSR column index (4 B) vs one index per kept vector (~1/Tr). */
function indexBytesPerValue(cls: SparseClass, tr: number): number {
  return cls === 'unstructured' ? 4 : 2 / tr;
}

export interface RooflineDevice {
  peakGflops: number;
  bandwidthGBs: number;
  overheadUs: number;
  units: number;
  /** Matrix-product peak when it differs from peakGflops (tensor cores). */
  matmulPeakGflops?: number;
  /** Weight / activation bytes per value (default fp32). */
  bytes?: { weight: number; act: number };
  /** Linears on 2:4 sparse tensor cores: their dense rate doubles, metadata 2 bits a value. */
  sparse24?: boolean;
}

export function rooflineOps(dev: RooflineDevice, eff: Efficiency, w: Workload): RooflineOp[] {
  const peak = (dev.matmulPeakGflops ?? dev.peakGflops) * 1e9 * eff.dense;
  const bw = dev.bandwidthGBs * 1e9 * eff.bandwidth;
  const cls = sparseClass(w.sparsity.pattern);
  const { weight: WB, act: AB } = dev.bytes ?? { weight: F32, act: F32 };
  return w.ops.map((op) => {
    const over = dev.overheadUs / 1e3;
    if (!op.mm) {
      // Embedding tables are read in their stored precision; other elementwise ops touch activations.
      const ms = ((op.activationValues * AB + op.weightValues * (op.kind === 'embedding' ? WB : AB)) / bw) * 1e3;
      return { name: op.name, ms: ms + over, bound: ms > over ? 'memory' : 'overhead' };
    }
    const util = occupancy(op.mm, dev.units);
    const act = op.activationValues * AB;
    const denseW = op.mm.out * op.mm.in * op.mm.instances * (op.kind === 'linear' ? WB : AB);
    const dCompute = (op.denseFlops / (peak * util)) * 1e3;
    const dMem = ((act + denseW) / bw) * 1e3;
    const dense = Math.max(dCompute, dMem);
    let ms = dense;
    let bound: RooflineOp['bound'] = dCompute >= dMem ? 'compute' : 'memory';
    let sparseKernel: boolean | undefined;
    if (dev.sparse24 && op.mm.pruned && op.mm.density < 1) {
      // 2:4 on sparse tensor cores: half the dense time at most, weights and metadata halved.
      const sCompute = dCompute / 2;
      const sMem = ((act + op.weightValues * (WB + 0.25)) / bw) * 1e3;
      ms = Math.max(sCompute, sMem);
      bound = sCompute >= sMem ? 'compute' : 'memory';
      sparseKernel = true;
    } else if (op.mm.pruned && op.mm.density < 1) {
      const rel = eff.sparseRel(cls, op.mm.density);
      const sCompute = (op.flops / (peak * util * rel)) * 1e3;
      const sMem = ((act + op.weightValues * (WB + indexBytesPerValue(cls, w.sparsity.tr))) / bw) * 1e3;
      const sparse = Math.max(sCompute, sMem);
      sparseKernel = sparse < dense;
      if (sparseKernel) {
        ms = sparse;
        bound = sCompute >= sMem ? 'compute' : 'memory';
      }
    }
    return {
      name: op.name,
      ms: ms + over,
      bound: ms > over ? bound : 'overhead',
      ...(sparseKernel !== undefined ? { sparseKernel } : {}),
    };
  });
}

/** The precision a GPU actually runs: a tensor precision needs tensor cores (else fp32). */
export function effectivePrecision(device: CpuDevice | GpuDevice, mode: GpuMode | undefined): GpuPrecision {
  const p = mode?.precision ?? 'fp32';
  return device.kind === 'gpu' && p !== 'fp32' && device.tensor ? p : 'fp32';
}

export function estimateRoofline(
  device: CpuDevice | GpuDevice,
  eff: Efficiency,
  w: Workload,
  mode?: GpuMode,
): RooflineEstimate {
  const precision = effectivePrecision(device, mode);
  const tensorPeak = device.kind === 'gpu' && precision !== 'fp32' ? device.tensor![precision].value : undefined;
  const sparse24 =
    device.kind === 'gpu' &&
    tensorPeak !== undefined &&
    !!mode?.sparse24 &&
    !!device.sparseTensor &&
    runsOnSparseTensorCores(w.sparsity);
  // Tensor cores: the library's efficiency on them, not the fp32 kernels' (measured or not).
  const useEff: Efficiency =
    tensorPeak !== undefined
      ? {
          ...eff,
          dense: TENSOR_EFFICIENCY,
          origin:
            `${precision} tensor cores at ${TENSOR_EFFICIENCY * 100}% of peak (estimate)` +
            `${sparse24 ? ', 2:4 sparse tensor cores' : ''}`,
        }
      : eff;
  const ops = rooflineOps(
    {
      peakGflops: device.peakGflops.value,
      bandwidthGBs: device.bandwidthGBs.value,
      overheadUs: device.kind === 'gpu' ? device.launchUs.value : device.opOverheadUs.value,
      units: device.kind === 'gpu' ? device.sms : device.cores,
      matmulPeakGflops: tensorPeak,
      bytes: VALUE_BYTES[precision],
      sparse24,
    },
    useEff,
    w,
  );
  const latencyMs = ops.reduce((a, o) => a + o.ms, 0);
  const flops = w.ops.reduce((a, op) => a + op.flops, 0);
  // Power: the device's TDP while it runs (these devices rarely idle far below it under load).
  const powerW = device.powerW.value;
  const peak = tensorPeak ?? device.peakGflops.value;
  return {
    latencyMs,
    ops,
    peakShare: flops / (latencyMs / 1e3) / (peak * 1e9),
    powerW,
    energyMj: powerW * latencyMs,
    efficiency: useEff.origin,
    precision,
  };
}

/** The visitor's own device: the measured throughput is its effective peak. An encoder
 *  measurement, when present, is used directly, scaled by FLOPs if the workload differs. */
export function estimateMeasured(
  m: MeasuredDevice,
  w: Workload,
  catalogBandwidth?: number,
): { latencyMs: number; provenance: 'measured' | 'scaled-measurement' | 'modelled-from-measurement'; note: string } {
  const flops = w.ops.reduce((a, op) => a + op.flops, 0);
  if (m.encoder && m.encoder.ms > 0) {
    const e = m.encoder;
    const same =
      e.batch === w.batch &&
      e.seq === w.seq &&
      (!e.config || sameConfig(e.config, w.config)) &&
      Math.abs((e.density ?? 1) - w.sparsity.density) < 1e-6;
    if (same) return { latencyMs: e.ms, provenance: 'measured', note: `measured encoder: ${e.ms.toFixed(2)} ms` };
    {
      const ref = bertWorkload(e.config ?? w.config, e.batch, e.seq, {
        ...w.sparsity,
        pattern: e.density !== undefined && e.density < 1 ? (e.pattern ?? w.sparsity.pattern) : 'dense',
        density: e.density ?? 1,
        tileDensity: 1,
        vectorDensity: 1,
      });
      const refFlops = ref.ops.reduce((a, op) => a + op.flops, 0);
      return {
        latencyMs: (e.ms * flops) / refFlops,
        provenance: 'scaled-measurement',
        note: `measured ${e.ms.toFixed(2)} ms at B=${e.batch}, L=${e.seq}, scaled by FLOPs`,
      };
    }
  }
  const eff: Efficiency = { ...efficiencyFor(m.kind, m, undefined), dense: 1 };
  const ops = rooflineOps(
    {
      peakGflops: m.denseGflops,
      bandwidthGBs: m.bandwidthGBs ?? catalogBandwidth ?? (m.kind === 'gpu' ? 100 : 20),
      overheadUs: m.kind === 'gpu' ? 10 : 5,
      units: 1,
    },
    eff,
    w,
  );
  return {
    latencyMs: ops.reduce((a, o) => a + o.ms, 0),
    provenance: 'modelled-from-measurement',
    note: `roofline at the measured ${m.denseGflops.toFixed(1)} GFLOP/s`,
  };
}

function sameConfig(a: BertConfig, b: BertConfig): boolean {
  return a.layers === b.layers && a.hidden === b.hidden && a.heads === b.heads && a.ffn === b.ffn;
}
