// Latency, power and cost of every device for one pruning configuration: FPGA boards through
// the design-space search of the HP accelerator (or a prior design), catalog CPUs/GPUs through
// the roofline (with measured efficiency carried over), the visitor's own devices as measured.
import { CATALOG } from '../hardware/catalog';
import type { BitWidth, FpgaArch, FpgaDesign, Resources } from '../hardware/fpga-design';
import { searchDesign } from '../hardware/fpga-search';
import { calibratedFpgaMs, FPGA_CALIBRATION, hostOverheadMs, opOverheadMs } from '../hardware/fpga-calibration';
import {
  carriesToHardware,
  efficiencyFor,
  estimateMeasured,
  estimateRoofline,
  type Efficiency,
  type GpuMode,
  type MeasuredDevice,
} from '../hardware/roofline';
import type { Catalog, DeviceKind, Tier } from '../hardware/types';
import { bertWorkload, type SparsityConfig } from '../hardware/workload';
import type { BertConfig } from '../model/bert-types';

export type Provenance = 'modelled' | 'measured' | 'scaled-measurement' | 'modelled-from-measurement';

export interface DeviceInfo {
  /** Catalog id; FPGA prior designs get ':tile' / ':dense'; own devices 'own-cpu' / 'own-gpu'. */
  id: string;
  name: string;
  kind: DeviceKind;
  tier: Tier;
  /** Undefined for the visitor's own devices (already owned, not a purchase option). */
  priceUsd?: number;
  /** Board/device power figure (FPGA: board maximum; the design's power is per evaluation). */
  powerW?: number;
  arch?: FpgaArch;
  own?: boolean;
}

export interface DeviceEval {
  device: DeviceInfo;
  ok: boolean;
  /** Why the device cannot run this configuration (design does not fit, pattern unsupported). */
  reason?: string;
  latencyMs: number;
  powerW: number;
  energyMj: number;
  provenance: Provenance;
  /** FPGA: design and resource shares; CPU/GPU: share of peak reached. */
  design?: FpgaDesign;
  utilisation?: Partial<Record<keyof Resources | 'mac' | 'peak', number>>;
  weightsOnChip?: boolean;
  /** FPGA: the uncalibrated analytic latency (what the cycle simulation checks). */
  analyticMs?: number;
  note: string;
}

export interface EvaluatorOptions {
  catalog?: Catalog;
  measured?: MeasuredDevice[];
  /** FPGA designs to offer per board (default: the HP accelerator only). */
  fpgaArchs?: FpgaArch[];
  /** Bit widths the FPGA search may use (default int16 and fp16: accuracy-neutral for BERT;
   *  the sweep's accuracy is measured in f32, int8 would need its own accuracy). */
  bitWidths?: BitWidth[];
  tileBalance?: 'random' | 'balanced';
  /** How the catalog GPUs run the products (default fp32 on CUDA cores, the precision the
   *  sweep's accuracy was measured in; tf32/fp16 are near accuracy-neutral for BERT, int8 is
   *  not accuracy-checked). */
  gpuMode?: GpuMode;
}

export const DEFAULT_BIT_WIDTHS: BitWidth[] = ['int16', 'fp16'];

export class DeviceEvaluator {
  readonly devices: DeviceInfo[];
  private readonly catalog: Catalog;
  private readonly measured: MeasuredDevice[];
  private readonly eff: Record<'cpu' | 'gpu', Efficiency>;
  private readonly cache = new Map<string, DeviceEval>();

  constructor(
    readonly config: BertConfig,
    readonly batch: number,
    readonly seq: number,
    readonly opts: EvaluatorOptions = {},
  ) {
    this.catalog = opts.catalog ?? CATALOG;
    this.measured = opts.measured ?? [];
    const peakOf = (m: MeasuredDevice | undefined) => {
      const d = m?.catalogId
        ? [...this.catalog.cpus, ...this.catalog.gpus].find((x) => x.id === m.catalogId)
        : undefined;
      return d?.peakGflops.value;
    };
    const mCpu = this.measured.find((m) => m.kind === 'cpu');
    // A hardware GPU's measurement is the one to carry; a software adapter's never is.
    const mGpu =
      this.measured.find((m) => m.kind === 'gpu' && carriesToHardware(m)) ??
      this.measured.find((m) => m.kind === 'gpu');
    this.eff = { cpu: efficiencyFor('cpu', mCpu, peakOf(mCpu)), gpu: efficiencyFor('gpu', mGpu, peakOf(mGpu)) };
    const archs = opts.fpgaArchs ?? ['hp'];
    const archLabel: Record<FpgaArch, string> = {
      hp: 'HP accelerator',
      tile: 'tile-only design',
      vector: 'vector-sparse design, no HP banking',
      dense: 'dense design',
    };
    this.devices = [
      ...this.catalog.fpgas.flatMap((b) =>
        archs.map((arch): DeviceInfo => ({
          id: arch === 'hp' ? b.id : `${b.id}:${arch}`,
          name: `${b.name} (${archLabel[arch]})`,
          kind: 'fpga',
          tier: b.tier,
          priceUsd: b.priceUsd.value,
          powerW: b.powerW.value,
          arch,
        })),
      ),
      ...[...this.catalog.cpus, ...this.catalog.gpus].map((d): DeviceInfo => ({
        id: d.id,
        name: d.name,
        kind: d.kind,
        tier: d.tier,
        priceUsd: d.priceUsd.value,
        powerW: d.powerW.value,
      })),
      ...this.measured.map((m): DeviceInfo => ({
        id: `own-${m.kind}`,
        name: `your ${m.kind.toUpperCase()}: ${m.label}`,
        kind: m.kind,
        tier: 3,
        own: true,
      })),
    ];
  }

  efficiency(kind: 'cpu' | 'gpu'): Efficiency {
    return this.eff[kind];
  }

  evaluate(device: DeviceInfo, s: SparsityConfig): DeviceEval {
    const key =
      `${device.id}|${s.pattern}|${s.density.toFixed(6)}|${s.tr}x${s.tc}|` +
      `${s.tileDensity.toFixed(6)}|${s.vectorDensity.toFixed(6)}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.compute(device, s);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private compute(device: DeviceInfo, s: SparsityConfig): DeviceEval {
    const w = bertWorkload(this.config, this.batch, this.seq, s);
    const fail = (reason: string): DeviceEval => ({
      device,
      ok: false,
      reason,
      latencyMs: Infinity,
      powerW: device.powerW ?? 0,
      energyMj: Infinity,
      provenance: 'modelled',
      note: reason,
    });
    if (device.own) {
      const m = this.measured.find((x) => `own-${x.kind}` === device.id)!;
      const cat = m.catalogId
        ? [...this.catalog.cpus, ...this.catalog.gpus].find((x) => x.id === m.catalogId)
        : undefined;
      const r = estimateMeasured(m, w, cat?.bandwidthGBs.value);
      const powerW = cat?.powerW.value ?? 0;
      return {
        device,
        ok: true,
        latencyMs: r.latencyMs,
        powerW,
        energyMj: powerW * r.latencyMs,
        provenance: r.provenance,
        note: r.note,
      };
    }
    if (device.kind === 'fpga') {
      const boardId = device.id.split(':')[0];
      const board = this.catalog.fpgas.find((b) => b.id === boardId);
      if (!board) return fail(`unknown board ${boardId}`);
      const r = searchDesign(board, device.arch ?? 'hp', w, {
        bitWidths: this.opts.bitWidths ?? DEFAULT_BIT_WIDTHS,
        tileBalance: this.opts.tileBalance,
      });
      if (!r.ok) return fail(r.reason);
      const e = r.estimate;
      const d = r.design;
      // Calibrated against published designs (fpga-calibration.ts): the latency everything shows.
      const latencyMs = calibratedFpgaMs(board, e);
      const host = hostOverheadMs(board);
      const perOps = opOverheadMs(board, e.ops.length);
      return {
        device,
        ok: true,
        latencyMs,
        analyticMs: e.latencyMs,
        powerW: e.powerW,
        energyMj: e.powerW * latencyMs,
        provenance: 'modelled',
        design: d,
        utilisation: { ...e.utilisation, mac: e.macUtilisation },
        weightsOnChip: e.plan.weightsOnChip,
        note:
          `P=${d.P} engines of ${d.tr}x${d.V} ${d.bits} MACs, ` +
          `${e.plan.weightsOnChip ? 'weights on chip' : 'weights streamed'}, ` +
          `${board.clockMHz.value} MHz; ` +
          `calibrated: analytic ${e.latencyMs.toFixed(3)} ms ` +
          `at ${Math.round(FPGA_CALIBRATION.computeEfficiency * 100)}% of its MAC rate` +
          ` + ${e.ops.length} operators x ${FPGA_CALIBRATION.opOverheadCycles.toLocaleString('en-US')} cycles ` +
          `(${perOps.toFixed(3)} ms)` +
          `${host ? ` + ${(host * 1e3).toFixed(0)} us host call (PCIe)` : ''}`,
      };
    }
    const dev = [...this.catalog.cpus, ...this.catalog.gpus].find((x) => x.id === device.id);
    if (!dev) return fail(`unknown device ${device.id}`);
    const eff = this.eff[dev.kind];
    const r = estimateRoofline(dev, eff, w, this.opts.gpuMode);
    const sparseUsed = r.ops.some((o) => o.sparseKernel);
    const asked = this.opts.gpuMode?.precision ?? 'fp32';
    const fallback = dev.kind === 'gpu' && asked !== r.precision ? `; no tensor cores: fp32, not ${asked}` : '';
    return {
      device,
      ok: true,
      latencyMs: r.latencyMs,
      powerW: r.powerW,
      energyMj: r.energyMj,
      provenance: 'modelled',
      utilisation: { peak: r.peakShare },
      note:
        `${r.efficiency}${fallback}; ` +
        (s.pattern === 'dense'
          ? 'dense kernels'
          : sparseUsed
            ? 'sparse kernels where faster'
            : 'dense kernels (sparse slower at this density)'),
    };
  }
}
