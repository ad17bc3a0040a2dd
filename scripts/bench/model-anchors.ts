// The device models held against published and measured results: FPGA (published accelerators,
// raw and calibrated) and GPU (the H200 runs of the engine, torch eager and torch.compile).
// Prints Markdown tables for BENCHMARKS.md. `npx tsx scripts/bench/model-anchors.ts`
import { NOT_MODELLED } from '../../src/core/hardware/fpga-anchors';
import {
  calibratedAnchors,
  FPGA_CALIBRATION,
  fitCalibration,
  fitComputeEfficiency,
  fitRows,
} from '../../src/core/hardware/fpga-calibration';
import { fpgaAnchors } from '../../src/core/hardware/fpga-anchors';
import { h200Anchors, h200Calibration, H200_NOT_MEASURED } from '../../src/core/hardware/gpu-anchors';

const pct = (x: number | null | undefined) => {
  if (x === null || x === undefined) return '—';
  const v = Math.round(x * 100);
  return `${v > 0 ? '+' : ''}${v === 0 ? 0 : v}%`;
};
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
const all = fitCalibration(fitRows(fpgaAnchors()));
const worst = (xs: number[]) => abs(Math.max(...xs.map(Math.abs)));
console.log(
  `\nFitted rows (${fit.length}, from ${new Set(fit.map((r) => r.design.source.url)).size} papers): ` +
    `mean |error| raw ${abs(meanAbs(fit.map((r) => r.latencyError)))}, ` +
    `calibrated (leave-one-out) ${abs(meanAbs(fit.map((r) => r.calibratedError)))}, ` +
    `worst ${worst(fit.map((r) => r.calibratedError))}. ` +
    `Fitted on all of them: efficiency ${all.computeEfficiency.toFixed(4)}, ` +
    `${all.opOverheadCycles.toFixed(0)} cycles per operator ` +
    `(constants ${FPGA_CALIBRATION.computeEfficiency}, ${FPGA_CALIBRATION.opOverheadCycles}).`,
);
console.log(
  `With the efficiency alone (${fitComputeEfficiency(fitRows(fpgaAnchors())).toFixed(4)} on all, ` +
    'no per-operator cycles), ' +
    `leave-one-out: mean |error| ${abs(meanAbs(fit.map((r) => r.efficiencyOnlyError)))}, ` +
    `worst ${worst(fit.map((r) => r.efficiencyOnlyError))} ` +
    `(${fit.map((r) => `${r.design.id} ${pct(r.efficiencyOnlyError)}`).join(', ')}).`,
);
// The other explanation the rows allow: the special-function unit (softmax, LayerNorm, GELU),
// whose share grows as the model narrows, slower than modelled. Fitted the same way (published
// cycles ~ a x engine cycles + b x SFU cycles), leave-one-out.
{
  const rows = fitRows(fpgaAnchors());
  const parts = (r: (typeof rows)[number]) => {
    const sfu = r.modelled.ops.filter((o) => o.kind === 'sfu').reduce((a, o) => a + o.cycles, 0);
    const pub = r.design.published.latencyMs * r.modelled.plan.board.clockMHz.value * 1e3;
    return { x1: (r.modelled.cycles - sfu) / pub, x2: sfu / pub };
  };
  const fit2 = (xs: Array<{ x1: number; x2: number }>) => {
    let [s11, s12, s22, t1, t2] = [0, 0, 0, 0, 0];
    for (const { x1, x2 } of xs)
      [s11, s12, s22, t1, t2] = [s11 + x1 * x1, s12 + x1 * x2, s22 + x2 * x2, t1 + x1, t2 + x2];
    const det = s11 * s22 - s12 * s12;
    return [(t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det];
  };
  const loo = rows.map((r) => {
    const [a, b] = fit2(rows.filter((x) => x !== r).map(parts));
    const { x1, x2 } = parts(r);
    return a * x1 + b * x2 - 1;
  });
  const [a, b] = fit2(rows.map(parts));
  console.log(
    `The alternative, a slower special-function unit instead of per-operator cycles (efficiency ` +
      `${(1 / a).toFixed(2)}, SFU ${b.toFixed(1)}x slower than modelled): leave-one-out mean |error| ` +
      `${abs(meanAbs(loo))}, worst ${worst(loo)} (${rows.map((r, i) => `${r.design.id} ${pct(loo[i])}`).join(', ')}).`,
  );
}
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
