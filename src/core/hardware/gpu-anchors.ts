// The GPU roofline held against real runs: the H200 measurements of the project's own engine
// (WGSL, fp32), torch eager and torch.compile, each modelled as the H200 catalog entry plus the
// runtime's own per-operator overhead, precision and kernel efficiency, with the error shown.
// Nothing here is fitted per row: a runtime's profile is fixed (from kernel benchmarks or a
// stated estimate) and then predicts every shape.
import { CATALOG } from './catalog';
import { estimateRoofline, type Efficiency } from './roofline';
import type { GpuDevice, GpuPrecision } from './types';
import { bertWorkload, DENSE, TINYBERT_4L_312D, type SparsityConfig } from './workload';

export interface RuntimeProfile {
  id: string;
  label: string;
  precision: GpuPrecision;
  /** Cost per operator of the workload (launch, dispatch, framework), microseconds; per dispatch
   *  where `dispatches` says how many the runtime issues. */
  overheadUs: number;
  /** Dispatches a forward issues (4 layers), where the runtime fuses the workload's operators:
   *  the overhead is paid per dispatch, not per modelled operator. */
  dispatches?: { dense: number; hp: number };
  /** Share of the precision's peak that its large matrix products reach. */
  denseEfficiency: number;
  /** HP-structured sparse kernel throughput / dense throughput (engine only). */
  sparseRel?: number;
  /** Where the figures come from. */
  why: string;
}

/** Runtimes measured on the H200 (BENCHMARKS.md "Kernels" and "Encoder engine"). */
export const H200_RUNTIMES: RuntimeProfile[] = [
  {
    id: 'engine',
    label: 'HP Lab engine (WGSL fp32, Dawn/Vulkan)',
    precision: 'fp32',
    overheadUs: 4,
    dispatches: { dense: 30, hp: 23 },
    denseEfficiency: 37.4 / 67,
    sparseRel: 0.7,
    why:
      'dense 4096^3 at 37.4 TFLOP/s = 56% of 67; HP 90% at 70% of the dense FLOP rate; ' +
      '~4 us dispatch floor (Kernels section); 30 dispatches dense, 22-23 HP (encoder --profile)',
  },
  {
    id: 'torch-eager',
    label: 'torch 2.11 eager fp32 (TF32 off)',
    precision: 'fp32',
    overheadUs: 20,
    denseEfficiency: 49.8 / 67,
    why:
      'cuBLAS fp32 4096^3 at 49.8 TFLOP/s = 74% of 67; ' +
      '~20 us per operator of Python dispatch + launch ' +
      '(estimate: eager PyTorch spends 10-20 us per op on the CPU)',
  },
  {
    id: 'torch-compile-fp32',
    label: 'torch.compile fp32',
    precision: 'fp32',
    overheadUs: 8,
    denseEfficiency: 49.8 / 67,
    why: 'fused kernels: ~8 us per modelled operator (estimate); cuBLAS fp32 efficiency',
  },
  {
    id: 'torch-compile-tf32',
    label: 'torch.compile TF32',
    precision: 'tf32',
    overheadUs: 8,
    denseEfficiency: 0.65,
    why: "as fp32, TF32 tensor cores at the catalog's 65% tensor efficiency (estimate)",
  },
  {
    id: 'torch-compile-bf16',
    label: 'torch.compile bf16',
    precision: 'fp16',
    overheadUs: 8,
    denseEfficiency: 0.65,
    why: 'as fp32, 16-bit tensor cores (bf16 = fp16 rate) at 65% (estimate)',
  },
];

export interface GpuMeasurement {
  runtime: string;
  batch: number;
  seq: number;
  /** 'dense' or HP at the given achieved sparsity (tiles 32x32, split 0.5). */
  hpSparsity?: number;
  ms: number;
  source: string;
}

const ENC = 'BENCHMARKS.md, Encoder engine: H200 latency table';
const ANCHORS =
  'BENCHMARKS.md, Device models, GPU anchors: H200 run of 2026-12-03 (main a6333a3; raw data ' +
  'scripts/bench/data/encoder-anchors-h200-2026-12-03-s12.json)';
const PEERS =
  'BENCHMARKS.md, Encoder engine, issue 19 third pass: torch on the same GPU, same call ' +
  '(encoder-torch-peers.py, CUDA graphs)';

/** TinyBERT-4L-312D on the H200, ms per forward pass. */
export const H200_MEASUREMENTS: GpuMeasurement[] = [
  // The engine as it runs now (fused Q/K/V, fused attention, HP on columns fused with LayerNorm):
  // median GPU time of 30 forwards, dense and HP 90 % (achieved 89.6 %), one process.
  ...(
    [
      [1, 16, 0.314, 0.1466],
      [8, 16, 0.3632, 0.1565],
      [32, 16, 0.5898, 0.1935],
      [1, 64, 0.329, 0.1561],
      [8, 64, 0.5919, 0.1966],
      [32, 64, 0.9803, 0.2785],
      [1, 128, 0.383, 0.1671],
      [8, 128, 0.7209, 0.2567],
      [32, 128, 1.4991, 0.5018],
    ] as const
  ).flatMap(([batch, seq, dense, hp]) => [
    { runtime: 'engine', batch, seq, ms: dense, source: ANCHORS },
    { runtime: 'engine', batch, seq, hpSparsity: 0.8961, ms: hp, source: ANCHORS },
  ]),
  ...(
    [
      [1, 16, 1.27],
      [8, 64, 2.43],
      [32, 64, 1.48],
      [1, 128, 1.74],
      [8, 128, 1.37],
      [32, 128, 2.15],
    ] as const
  ).map(([batch, seq, ms]) => ({ runtime: 'torch-eager', batch, seq, ms, source: `${ENC} (torch math column)` })),
  ...(
    [
      [1, 128, 0.463, 0.39, 0.322],
      [32, 128, 1.801, 0.896, 0.804],
    ] as const
  ).flatMap(([batch, seq, fp32, tf32, bf16]) => [
    { runtime: 'torch-compile-fp32', batch, seq, ms: fp32, source: PEERS },
    { runtime: 'torch-compile-tf32', batch, seq, ms: tf32, source: PEERS },
    { runtime: 'torch-compile-bf16', batch, seq, ms: bf16, source: PEERS },
  ]),
];

/** Runtimes with no H200 measurement, and why (said, not invented). */
export const H200_NOT_MEASURED: Array<{ runtime: string; why: string }> = [
  {
    runtime: 'onnxruntime-web (WebGPU EP)',
    why:
      'as GPU time: ORT exposes none; its wall time of session.run() on the H200 (Node + Dawn, ' +
      '9.5-13.1 ms at B 1/32 x L 64/128) is per-run overhead, not the GPU work this roofline models ' +
      '(BENCHMARKS.md, Encoder engine, issue 19 third pass)',
  },
];

function hpConfig(sparsity: number): SparsityConfig {
  const d = 1 - sparsity;
  return { pattern: 'hp', density: d, tr: 32, tc: 32, tileDensity: Math.sqrt(d), vectorDensity: Math.sqrt(d) };
}

/** The runtime on the device: the roofline with the runtime's overhead, precision and efficiency. */
export function modelRuntime(
  device: GpuDevice,
  profile: RuntimeProfile,
  batch: number,
  seq: number,
  sparsity: SparsityConfig = DENSE,
): number {
  const eff: Efficiency = {
    dense: profile.denseEfficiency,
    bandwidth: 0.8,
    origin: profile.label,
    sparseRel: (cls) => (cls === 'structured' && profile.sparseRel !== undefined ? profile.sparseRel : 0.1),
  };
  const workload = bertWorkload(TINYBERT_4L_312D, batch, seq, sparsity);
  // A fused runtime pays its overhead per dispatch: spread over the modelled operators.
  const dispatches = profile.dispatches?.[sparsity.pattern === 'hp' ? 'hp' : 'dense'];
  const perOpUs =
    dispatches === undefined ? profile.overheadUs : (profile.overheadUs * dispatches) / workload.ops.length;
  const dev: GpuDevice = { ...device, launchUs: { ...device.launchUs, value: perOpUs } };
  // Tensor-core runtimes: the roofline applies its tensor efficiency; fp32 uses the profile's.
  return estimateRoofline(dev, eff, workload, {
    precision: profile.precision,
  }).latencyMs;
}

/** The per-operator overhead that makes the model match one measurement (bisection; the
 *  latency grows with the overhead). The calibration row is the smallest, launch-bound shape;
 *  the others then test the calibrated model. */
export function calibrateOverhead(device: GpuDevice, profile: RuntimeProfile, m: GpuMeasurement): number {
  let lo = 0;
  let hi = 200;
  const s = m.hpSparsity !== undefined ? hpConfig(m.hpSparsity) : DENSE;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (modelRuntime(device, { ...profile, overheadUs: mid }, m.batch, m.seq, s) < m.ms) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface AnchorRow {
  runtime: RuntimeProfile;
  batch: number;
  seq: number;
  config: string;
  measuredMs: number;
  modelledMs: number;
  /** modelled / measured - 1. */
  error: number;
  /** With the runtime's overhead calibrated on its smallest dense shape (null: nothing to
   *  calibrate on, or this is the calibration row). */
  calibratedMs: number | null;
  calibratedError: number | null;
  source: string;
}

/** The calibrated per-operator overheads (us), by runtime id. */
export function h200Calibration(
  device: GpuDevice = CATALOG.gpus.find((g) => g.id === 'h200')!,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const runtime of H200_RUNTIMES) {
    const row = H200_MEASUREMENTS.filter((m) => m.runtime === runtime.id && m.hpSparsity === undefined).sort(
      (a, b) => a.batch * a.seq - b.batch * b.seq,
    )[0];
    if (row && H200_MEASUREMENTS.filter((m) => m.runtime === runtime.id).length >= 2)
      out[runtime.id] = calibrateOverhead(device, runtime, row);
  }
  return out;
}

export function h200Anchors(device: GpuDevice = CATALOG.gpus.find((g) => g.id === 'h200')!): AnchorRow[] {
  const calibration = new Map<string, { row: GpuMeasurement; overheadUs: number }>();
  for (const runtime of H200_RUNTIMES) {
    const rows = H200_MEASUREMENTS.filter((m) => m.runtime === runtime.id);
    if (rows.length < 2) continue;
    const row = rows.filter((m) => m.hpSparsity === undefined).sort((a, b) => a.batch * a.seq - b.batch * b.seq)[0];
    calibration.set(runtime.id, { row, overheadUs: calibrateOverhead(device, runtime, row) });
  }
  return H200_MEASUREMENTS.map((m) => {
    const runtime = H200_RUNTIMES.find((r) => r.id === m.runtime)!;
    const s = m.hpSparsity !== undefined ? hpConfig(m.hpSparsity) : DENSE;
    const modelledMs = modelRuntime(device, runtime, m.batch, m.seq, s);
    const cal = calibration.get(runtime.id);
    const calibratedMs =
      cal && cal.row !== m ? modelRuntime(device, { ...runtime, overheadUs: cal.overheadUs }, m.batch, m.seq, s) : null;
    return {
      runtime,
      batch: m.batch,
      seq: m.seq,
      config: m.hpSparsity !== undefined ? `HP ${(m.hpSparsity * 100).toFixed(1)}%` : 'dense',
      measuredMs: m.ms,
      modelledMs,
      error: modelledMs / m.ms - 1,
      calibratedMs,
      calibratedError: calibratedMs === null ? null : calibratedMs / m.ms - 1,
      source: m.source,
    };
  });
}
