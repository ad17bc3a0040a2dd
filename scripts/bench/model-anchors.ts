// The device models held against published and measured results: FPGA (published accelerators,
// raw and calibrated) and GPU (the H200 runs of the engine, torch eager and torch.compile).
// Prints Markdown tables for BENCHMARKS.md. `npx tsx scripts/bench/model-anchors.ts`
import { NOT_MODELLED } from '../../src/core/hardware/fpga-anchors';
import {
  calibratedAnchors,
  FPGA_CALIBRATION,
  fitComputeEfficiency,
  fitRows,
} from '../../src/core/hardware/fpga-calibration';
import { fpgaAnchors } from '../../src/core/hardware/fpga-anchors';
import { h200Anchors, h200Calibration, H200_NOT_MEASURED } from '../../src/core/hardware/gpu-anchors';

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
const n = (x: number | undefined) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const meanAbs = (xs: number[]) => xs.reduce((a, x) => a + Math.abs(x), 0) / xs.length;
const abs = (x: number) => `${(x * 100).toFixed(0)}%`;

console.log('### FPGA: published designs recreated in the model\n');
console.log(
  '| design | board, clock | precision | workload | published ms | model ms (raw) | error | calibrated ms | error | ' +
    'DSP pub / model | LUT pub / model | BRAM36 pub / model |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
const cal = calibratedAnchors();
for (const r of cal) {
  const d = r.design;
  const res = r.modelled.plan.resources;
  console.log(
    `| ${d.name} | ${d.board.name}, ${d.clockMHz} MHz | ${d.precision} | ${d.workload.label} | ` +
      `${d.published.latencyMs} | ` +
      `${r.modelled.latencyMs.toFixed(2)} | ${pct(r.latencyError)} | ` +
      `${r.calibratedMs.toFixed(2)}${r.fitted ? ' (LOO)' : ''} | ${pct(r.calibratedError)} | ` +
      `${n(d.published.dsp)} / ${n(res.dsp)} (${pct(r.resourceError.dsp)}) | ` +
      `${n(d.published.lut)} / ${n(res.lut)} (${pct(r.resourceError.lut)}) | ` +
      `${n(d.published.bram36)} / ${n(res.bram36)} (${pct(r.resourceError.bram36)}) |`,
  );
}
const fit = cal.filter((r) => r.fitted);
console.log(
  `\nFitted rows: mean |error| raw ${abs(meanAbs(fit.map((r) => r.latencyError)))}, ` +
    `calibrated (leave-one-out) ${abs(meanAbs(fit.map((r) => r.calibratedError)))}. ` +
    `Efficiency fitted on all three: ${fitComputeEfficiency(fitRows(fpgaAnchors())).toFixed(4)} ` +
    `(constant ${FPGA_CALIBRATION.computeEfficiency}).`,
);
console.log('\nNot modelled:');
for (const m of NOT_MODELLED) console.log(`- ${m.name}: ${m.why}${m.source ? ` (${m.source.url})` : ''}`);

console.log('\n### GPU: the H200 runs against the roofline\n');
console.log('| runtime | B x L | config | measured ms | model ms | error | calibrated ms | error |');
console.log('|---|---|---|---|---|---|---|---|');
const g = h200Anchors();
for (const r of g) {
  console.log(
    `| ${r.runtime.label} | ${r.batch} x ${r.seq} | ${r.config} | ${r.measuredMs} | ${r.modelledMs.toFixed(3)} | ` +
      `${pct(r.error)} | ${r.calibratedMs === null ? '—' : r.calibratedMs.toFixed(3)} | ${pct(r.calibratedError)} |`,
  );
}
const calib = h200Calibration();
console.log(
  `\nPer-operator overhead calibrated on each runtime's smallest dense shape: ${Object.entries(calib)
    .map(([k, v]) => `${k} ${v.toFixed(1)} us`)
    .join(', ')}.`,
);
for (const id of ['engine', 'torch-eager']) {
  const rows = g.filter((r) => r.runtime.id === id);
  const c = rows.filter((r) => r.calibratedError !== null).map((r) => r.calibratedError!);
  console.log(
    `${id}: mean |error| raw ${abs(meanAbs(rows.map((r) => r.error)))}, ` +
      `calibrated ${abs(meanAbs(c))} (${c.length} rows).`,
  );
}
for (const m of H200_NOT_MEASURED) console.log(`- ${m.runtime}: not measured: ${m.why}`);
