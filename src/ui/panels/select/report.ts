// Exports of a selection: JSON (the inputs and every number), CSV (one row per device) and a
// self-contained printable HTML page. Pure string building: the UI only downloads or opens it.
import { TIER_NAMES } from '../../../core/hardware/types';
import {
  describeCost,
  fmtMs,
  type Candidate,
  type SelectionInput,
  type SelectionResult,
} from '../../../core/explore/select';
import type { PaperRow } from '../../../core/explore/paper-view';

export interface ReportContext {
  title?: string;
  model: string;
  batch: number;
  seq: number;
  lcMs: number;
  ac: SelectionInput['ac'];
  objective: SelectionInput['objective'];
  /** Link that restores the state (from url-state). */
  url?: string;
  createdAt?: string;
}

function candidateJson(c: Candidate | null) {
  if (!c) return null;
  return {
    device: c.deviceId,
    config: c.config,
    pattern: c.sparsity.pattern,
    sparsity: 1 - c.sparsity.density,
    accuracy: c.accuracy,
    latencyMs: c.latencyMs,
    powerW: c.powerW,
    cost: c.cost,
    slack: c.slack,
    feasible: c.feasible,
    provenance: c.eval.provenance,
    note: c.eval.note,
    design: c.eval.design ?? null,
    utilisation: c.eval.utilisation ?? null,
  };
}

export function reportJson(ctx: ReportContext, r: SelectionResult, paper?: PaperRow[]): object {
  return {
    kind: 'hp-lab-selection-report',
    version: 1,
    createdAt: ctx.createdAt ?? new Date().toISOString(),
    inputs: {
      model: ctx.model,
      batch: ctx.batch,
      seq: ctx.seq,
      lcMs: ctx.lcMs,
      ac: ctx.ac,
      objective: ctx.objective,
      url: ctx.url ?? null,
    },
    accuracyThreshold: r.accuracyThreshold,
    denseAccuracy: r.denseAccuracy,
    choice: candidateJson(r.choice),
    reasons: r.reasons,
    binding: r.binding,
    devices: r.verdicts.map((v) => ({
      id: v.device.id,
      name: v.device.name,
      kind: v.device.kind,
      tier: v.device.tier,
      own: !!v.device.own,
      priceUsd: v.device.priceUsd ?? null,
      feasible: v.feasible,
      chosen: v.chosen,
      reason: v.reason,
      best: candidateJson(v.best),
    })),
    pareto: r.pareto.map(candidateJson),
    ...(paper
      ? {
          paperView: paper.map((p) => ({
            shape: p.shape.label,
            board: p.board,
            hpMs: p.hpMs,
            cpu: p.cpu,
            gpu: p.gpu,
            tile: p.tile,
            tileEqualAccuracy: p.tileEqualAccuracy,
          })),
        }
      : {}),
    note:
      'FPGA, catalog CPU and GPU figures are modelled ' +
      '(analytic model; efficiencies carried from measurements where given); see provenance per row.',
  };
}

const csvCell = (v: unknown): string => {
  const s =
    v === null || v === undefined
      ? ''
      : typeof v === 'number'
        ? Number.isFinite(v)
          ? String(Number(v.toPrecision(6)))
          : ''
        : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function reportCsv(r: SelectionResult): string {
  const head = [
    'device',
    'name',
    'kind',
    'class',
    'provenance',
    'price_usd',
    'power_w',
    'config',
    'accuracy',
    'latency_ms',
    'feasible',
    'chosen',
    'reason',
  ];
  const rows = r.verdicts.map((v) => [
    v.device.id,
    v.device.name,
    v.device.kind,
    TIER_NAMES[v.device.tier],
    v.best?.eval.provenance ?? '',
    v.device.priceUsd ?? '',
    v.best?.powerW ?? '',
    v.best?.config ?? '',
    v.best?.accuracy ?? '',
    v.best?.latencyMs ?? '',
    v.feasible,
    v.chosen,
    v.reason,
  ]);
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function reportHtml(ctx: ReportContext, r: SelectionResult, paper?: PaperRow[]): string {
  const acText =
    ctx.ac.kind === 'none'
      ? 'none'
      : ctx.ac.kind === 'min'
        ? `accuracy >= ${(ctx.ac.value * 100).toFixed(2)}%`
        : `drop <= ${(ctx.ac.value * 100).toFixed(2)} points`;
  const choice = r.choice
    ? `<p class="choice"><strong>${esc(r.verdicts.find((v) => v.chosen)?.device.name)}</strong> ` +
      `at ${esc(r.choice.config)}: ${esc(fmtMs(r.choice.latencyMs))}</p>` +
      `<ul>${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`
    : `<p class="choice"><strong>No feasible device.</strong> ${esc(r.binding?.message)}</p>`;
  const rows = r.verdicts
    .map(
      (v) =>
        `<tr class="${v.chosen ? 'chosen' : v.feasible ? 'ok' : 'no'}">` +
        `<td>${esc(v.device.name)}</td><td>${esc(v.device.kind)}</td><td>${esc(v.best?.eval.provenance ?? '')}</td>` +
        `<td>${v.device.priceUsd !== undefined ? esc(describeCost('price', v.device.priceUsd)) : ''}</td>` +
        `<td>${esc(v.best?.config ?? '')}</td>` +
        `<td>${v.best?.accuracy != null ? (v.best.accuracy * 100).toFixed(2) + '%' : ''}</td>` +
        `<td>${v.best ? esc(fmtMs(v.best.latencyMs)) : ''}</td><td>${esc(v.reason)}</td></tr>`,
    )
    .join('\n');
  const paperRows = (paper ?? [])
    .map(
      (p) =>
        `<tr><td>${esc(p.shape.label)}</td><td>${esc(p.board)}</td><td>${esc(fmtMs(p.hpMs))}</td>` +
        `<td>${p.cpu.speedup.toFixed(1)}x (paper ${p.cpu.paper}x)</td>` +
        `<td>${p.gpu.speedup.toFixed(2)}x (paper ${p.gpu.paper}x)</td>` +
        `<td>${p.tile.speedup.toFixed(2)}x (paper ${p.tile.paper}x)</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(ctx.title ?? 'HP Lab device selection')}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top}\
tr.chosen{background:#e6f4ea}tr.no{color:#555}
.choice{font-size:1.1rem}.muted{color:#666}@media print{body{margin:0}}
</style></head><body>
<h1>${esc(ctx.title ?? 'HP Lab device selection')}</h1>
<p class="muted">${esc(ctx.createdAt ?? new Date().toISOString())} · model ${esc(ctx.model)} · \
batch ${ctx.batch} x ${ctx.seq} tokens · LC ${esc(fmtMs(ctx.lcMs))} · AC ${esc(acText)} · \
objective ${esc(ctx.objective)}${ctx.url ? ` · <a href="${esc(ctx.url)}">state link</a>` : ''}</p>
<h2>Choice</h2>${choice}
<h2>Devices</h2>
<table><thead><tr><th>device</th><th>kind</th><th>source</th><th>price</th><th>configuration</th>\
<th>accuracy</th><th>latency</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table>
${
  paper
    ? `<h2>Paper view (modelled)</h2><table><thead><tr><th>shape</th><th>HP board</th><th>HP latency</th>\
<th>vs CPU</th><th>vs GPU</th><th>vs tile-only</th></tr></thead><tbody>${paperRows}</tbody></table>`
    : ''
}
<p class="muted">FPGA figures come from an analytic model of the HP accelerator \
(checked against a cycle-stepped simulation); catalog CPUs and GPUs from rooflines; \
rows say where a figure was measured on this machine.</p>
</body></html>
`;
}
