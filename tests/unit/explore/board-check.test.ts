// One latency per board and configuration (issue 16): the Devices panel's check of a board
// (simulateBoard) reports the latency Choose a device uses for the same board and pruning.
import { describe, expect, it } from 'vitest';
import { FPGA_BOARDS } from '../../../src/core/hardware/catalog';
import { TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
import { simulateBoard } from '../../../src/core/explore/board-check';
import { select } from '../../../src/core/explore/select';
import { sparsityFromPrune } from '../../../src/core/explore/sweep';

describe('Devices and Choose a device agree', () => {
  // The case: PYNQ-Z2 at HP 80%, 1x64 tiles (was 4.344 ms in Devices, 6.43 ms in Choose).
  const pruning = { pattern: 'hp' as const, sparsity: 0.8, tr: 1, tc: 64, split: 0.5 };
  const sparsity = sparsityFromPrune(pruning);
  const choose = select({
    config: TINYBERT_4L_312D,
    batch: 1,
    seq: 128,
    lcMs: 1000,
    ac: { kind: 'none' },
    objective: 'price',
    sweep: null,
    configs: [sparsityFromPrune({ pattern: 'unstructured', sparsity: 0, tr: 16, tc: 16 }), sparsity],
  });
  for (const id of ['pynq-z2', 'zcu102', 'alveo-u250']) {
    it(`${id}: the Devices latency is Choose's, and the design is the same`, () => {
      const board = FPGA_BOARDS.find((b) => b.id === id)!;
      const devices = simulateBoard({ boardId: id, config: TINYBERT_4L_312D, batch: 1, seq: 128, sparsity, draws: 1 });
      const pick = choose.candidates.find((c) => c.deviceId === board.id && c.configIndex === 1)!;
      expect(pick, `${id} is a candidate`).toBeDefined();
      expect(devices.calibratedMs).toBeCloseTo(pick.latencyMs, 9);
      expect(devices.design).toEqual(pick.eval.design);
      // The analytic model and the cycle simulation it is checked against stay close.
      expect(Math.abs(devices.deviation)).toBeLessThan(0.05);
    });
  }
});
