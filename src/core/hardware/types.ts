// Types of the device catalog: every figure carries where it comes from, and whether it is an
// estimate (no internet when the catalog was written: figures are recalled from the named
// datasheets; anything not read off a datasheet table is flagged `estimate: true`).

export interface Source {
  /** Document or page name, e.g. "AMD DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview". */
  name: string;
  url: string;
}

export interface Figure {
  value: number;
  source: Source;
  /** True when the value is an estimate (typical use, street price, recalled figure). */
  estimate?: boolean;
  note?: string;
}

/** Device classes from low-end up: 1 embedded, 2 edge, 3 mid-range, 4 high-end, 5 datacenter. */
export type Tier = 1 | 2 | 3 | 4 | 5;
export const TIER_NAMES: Record<Tier, string> = {
  1: 'embedded',
  2: 'edge',
  3: 'mid-range',
  4: 'high-end',
  5: 'datacenter',
};

export type DeviceKind = 'fpga' | 'cpu' | 'gpu';

interface DeviceBase {
  id: string;
  name: string;
  tier: Tier;
  /** Memory bandwidth to off-chip DRAM/HBM, GB/s. */
  bandwidthGBs: Figure;
  /** Board/device power under load (TDP or typical max), W. */
  powerW: Figure;
  /** Price, USD (list or launch price; street prices vary). */
  priceUsd: Figure;
}

/** DSP slice family: DSP48E1 (7-series, 25x18) or DSP48E2 (UltraScale+, 27x18). */
export type DspFamily = 'DSP48E1' | 'DSP48E2';

export interface FpgaBoard extends DeviceBase {
  kind: 'fpga';
  chip: string;
  dspFamily: DspFamily;
  dsp: Figure;
  /** 36 Kb block RAMs. */
  bram36: Figure;
  /** 288 Kb UltraRAMs (0 when the chip has none). */
  uram: Figure;
  lut: Figure;
  /** Clock a dense HLS/RTL design of this kind typically closes at on this family, MHz. */
  clockMHz: Figure;
  /** Static (idle) power of the board, W; the rest of powerW scales with utilisation. */
  staticW: Figure;
  /** A card behind PCIe (Alveo): each inference pays a host call (fpga-calibration.ts). */
  pcie?: boolean;
}

export interface CpuDevice extends DeviceBase {
  kind: 'cpu';
  cores: number;
  /** Peak f32 throughput, GFLOP/s (cores x clock x FLOP/cycle). */
  peakGflops: Figure;
  /** Fixed cost per operator (dispatch, thread wake-up), microseconds. */
  opOverheadUs: Figure;
}

/** Matrix-product precisions a GPU model offers: fp32 on CUDA cores, or tensor cores. */
export type GpuPrecision = 'fp32' | 'tf32' | 'fp16' | 'int8';
export const GPU_PRECISIONS: readonly GpuPrecision[] = ['fp32', 'tf32', 'fp16', 'int8'];

export interface GpuDevice extends DeviceBase {
  kind: 'gpu';
  /** Architecture and its launch year: "later generation" in the catalog's ordering test. */
  arch: { name: string; year: number };
  /** Streaming multiprocessors (for wave quantization of small matrix products). */
  sms: number;
  /** Peak f32 on the CUDA cores (no tensor cores). */
  peakGflops: Figure;
  /** Dense tensor-core peaks (GFLOP/s; int8: GOP/s), absent on GPUs without tensor cores.
   *  fp16 is with fp32 accumulation (what inference libraries use). */
  tensor?: { tf32: Figure; fp16: Figure; int8: Figure };
  /** 2:4 structured-sparse tensor cores (Ampere and later): twice the dense tensor rate. */
  sparseTensor?: boolean;
  /** Kernel launch cost, microseconds. */
  launchUs: Figure;
  /** Why this GPU is modelled slower than a smaller GPU (fewer SMs, lower peak and bandwidth),
   *  by that GPU's id (the catalog test requires a reason for every such pair). */
  slowerThan?: Record<string, string>;
}

export type Device = FpgaBoard | CpuDevice | GpuDevice;

export interface Catalog {
  fpgas: FpgaBoard[];
  cpus: CpuDevice[];
  gpus: GpuDevice[];
}

export function allDevices(c: Catalog): Device[] {
  return [...c.fpgas, ...c.cpus, ...c.gpus];
}

export function findDevice(c: Catalog, id: string): Device | undefined {
  return allDevices(c).find((d) => d.id === id);
}
