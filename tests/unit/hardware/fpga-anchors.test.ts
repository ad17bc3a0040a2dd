// The FPGA model against published accelerators: every published figure has a source, the raw
// model's error is computed, the calibration constant is the one the anchors fit, and the
// calibrated model predicts each fitted design from the others (leave-one-out) within 10%.
import { describe, expect, it } from 'vitest';
import { FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import {
  anchorWorkload,
  fpgaAnchors,
  NOT_MODELLED,
  PUBLISHED_FPGA_DESIGNS,
} from '../../../src/core/hardware/fpga-anchors';
import {
  calibratedAnchors,
  calibratedFpgaMs,
  fitComputeEfficiency,
  fitRows,
  FPGA_CALIBRATION,
  hostOverheadMs,
  publishedDspCeiling,
} from '../../../src/core/hardware/fpga-calibration';
import { FPGA_CONSTANTS } from '../../../src/core/hardware/fpga-design';

describe('published FPGA designs', () => {
  it('five designs from three papers recreated, each figure with its source; the ones not found are said', () => {
    expect(PUBLISHED_FPGA_DESIGNS.length).toBeGreaterThanOrEqual(4);
    for (const d of PUBLISHED_FPGA_DESIGNS) {
      expect(d.source.url).toMatch(/^https:\/\/arxiv\.org\/abs\//);
      expect(d.published.latencyMs).toBeGreaterThan(0);
      expect(d.clockMHz).toBeGreaterThan(100);
    }
    expect(NOT_MODELLED.map((n) => n.name).join(' ')).toMatch(/NPE/);
    // Designs from three papers, not three sizes of one.
    expect(new Set(PUBLISHED_FPGA_DESIGNS.map((d) => d.source.url)).size).toBeGreaterThanOrEqual(3);
  });

  it('ProTEA runs its own encoder shape (8 heads of 96), and the streaming model is far too fast for it', () => {
    const d = PUBLISHED_FPGA_DESIGNS.find((x) => x.id === 'protea-u55c')!;
    const qk = anchorWorkload(d).ops.find((o) => o.name === 'layer.0.qk')!;
    const bertQk = anchorWorkload(PUBLISHED_FPGA_DESIGNS[0]).ops.find((o) => o.name === 'layer.0.qk')!;
    expect(qk.flops / (64 * 64 * 8)).toBeCloseTo(2 * 96, 6);
    expect(bertQk.flops / (128 * 128 * 12)).toBeCloseTo(2 * 64, 6);
    // Sub-modules one after another, ~4% of peak: the model (a streaming MAC array) is >10x optimistic.
    const row = fpgaAnchors().find((r) => r.design.id === d.id)!;
    expect(row.latencyError).toBeLessThan(-0.9);
    expect(fitRows([row])).toHaveLength(0);
  });

  it('the raw model is computed for every design, with latency and resource errors', () => {
    const rows = fpgaAnchors();
    expect(rows.length).toBe(PUBLISHED_FPGA_DESIGNS.length);
    for (const r of rows) {
      expect(r.latencyError).toBeCloseTo(r.modelled.latencyMs / r.design.published.latencyMs - 1, 12);
      expect(r.resourceError.dsp).toBeDefined();
      expect(r.modelled.plan.misfit).toBeNull();
    }
    // FQ-BERT: the uncalibrated model is 20-23% optimistic (its MAC array never stalls).
    for (const r of fitRows(rows)) expect(r.latencyError).toBeLessThan(-0.15);
  });
});

describe('calibration', () => {
  it("the efficiency constant is the anchors' fit, and the DSP ceiling covers every published design", () => {
    expect(FPGA_CALIBRATION.computeEfficiency).toBeCloseTo(fitComputeEfficiency(fitRows(fpgaAnchors())), 2);
    expect(publishedDspCeiling()).toBeLessThanOrEqual(FPGA_CONSTANTS.maxDspShare);
  });

  it('leave-one-out: each FQ-BERT size predicted from the other two within 10%', () => {
    const rows = calibratedAnchors().filter((r) => r.fitted);
    expect(rows.length).toBe(3);
    for (const r of rows) expect(Math.abs(r.calibratedError), r.design.id).toBeLessThan(0.1);
  });

  it('only PCIe cards pay the host call', () => {
    const u250 = FPGA_BOARDS.find((b) => b.id === 'alveo-u250')!;
    const zcu102 = FPGA_BOARDS.find((b) => b.id === 'zcu102')!;
    expect(hostOverheadMs(u250)).toBeCloseTo(0.05, 12);
    expect(hostOverheadMs(zcu102)).toBe(0);
    expect(calibratedFpgaMs(zcu102, { latencyMs: 0.78 })).toBeCloseTo(1, 12);
  });
});
