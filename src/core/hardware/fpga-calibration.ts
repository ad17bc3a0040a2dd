// What the published designs (fpga-anchors.ts) say the analytic FPGA model misses, as a small
// calibration the selection applies on top of it: published designs reach ~80% of their MAC
// arrays' throughput (control, pipeline fill, stalls the model does not see), close at 214 MHz on
// a Zynq UltraScale+ and 245 MHz on an Alveo (catalog clocks now follow), use at most ~77% of
// the DSPs (the search's ceiling is 80%), and a card behind PCIe pays a host call per inference.
// The analytic model and the cycle simulation stay uncalibrated (they must agree cycle for cycle).
import { fpgaAnchors, PUBLISHED_FPGA_DESIGNS, type FpgaAnchorRow } from './fpga-anchors';
import type { FpgaEstimate } from './fpga-model';
import type { FpgaBoard, Source } from './types';

const xrt: Source = {
  name:
    'AMD XRT documentation: host-to-kernel call path (xrt::run start/wait, PCIe DMA); ' +
    '~50 us per call is an estimate, not fitted (the anchors are 24-46 ms long)',
  url: 'https://xilinx.github.io/XRT/master/html/xrt_native_apis.html',
};

export interface FpgaCalibration {
  /** Share of the modelled engine throughput that published designs reach. */
  computeEfficiency: number;
  /** Host + PCIe + runtime per inference on a card behind PCIe (Alveo), microseconds. */
  hostOverheadUs: number;
  hostSource: Source;
}

/** The designs whose architecture the model shares (operators one after another on one MAC
 *  array): FQ-BERT's three sizes. The spatial U280 design pipelines operators across dies and
 *  packs 4-bit multipliers into LUTs, and ProTEA runs its sub-modules one after another at ~4% of
 *  its peak: both are reported, not fitted. */
export function fitRows(rows: FpgaAnchorRow[]): FpgaAnchorRow[] {
  return rows.filter((r) => r.design.id.startsWith('fqbert-'));
}

/** Geometric mean of modelled / published latency over the rows. */
export function fitComputeEfficiency(rows: FpgaAnchorRow[]): number {
  const logs = rows.map((r) => Math.log(r.modelled.latencyMs / r.design.published.latencyMs));
  return Math.exp(logs.reduce((a, v) => a + v, 0) / logs.length);
}

/** Rounded to two digits from fitComputeEfficiency(fitRows(fpgaAnchors())) (a test keeps them equal). */
export const FPGA_CALIBRATION: FpgaCalibration = { computeEfficiency: 0.78, hostOverheadUs: 50, hostSource: xrt };

export function hostOverheadMs(board: FpgaBoard, c: FpgaCalibration = FPGA_CALIBRATION): number {
  return board.pcie ? c.hostOverheadUs / 1e3 : 0;
}

/** The latency the selection uses: the analytic latency at the calibrated efficiency, plus the
 *  host call on PCIe cards. */
export function calibratedFpgaMs(
  board: FpgaBoard,
  e: Pick<FpgaEstimate, 'latencyMs'>,
  c: FpgaCalibration = FPGA_CALIBRATION,
): number {
  return e.latencyMs / c.computeEfficiency + hostOverheadMs(board, c);
}

export interface CalibratedAnchorRow extends FpgaAnchorRow {
  /** Calibrated latency with the efficiency fitted on the OTHER fit rows (leave-one-out); for
   *  rows outside the fit, on all fit rows. */
  calibratedMs: number;
  calibratedError: number;
  fitted: boolean;
}

export function calibratedAnchors(): CalibratedAnchorRow[] {
  const rows = fpgaAnchors();
  const fit = fitRows(rows);
  return rows.map((r) => {
    const inFit = fit.includes(r);
    const eff = fitComputeEfficiency(inFit ? fit.filter((x) => x !== r) : fit);
    const calibratedMs = calibratedFpgaMs(r.modelled.plan.board, r.modelled, {
      ...FPGA_CALIBRATION,
      computeEfficiency: eff,
    });
    return { ...r, calibratedMs, calibratedError: calibratedMs / r.design.published.latencyMs - 1, fitted: inFit };
  });
}

/** Highest DSP share among the published designs (the search's ceiling rounds it up). */
export function publishedDspCeiling(): number {
  return Math.max(
    ...PUBLISHED_FPGA_DESIGNS.filter((d) => d.published.dsp).map((d) => d.published.dsp! / d.board.dsp.value),
  );
}
