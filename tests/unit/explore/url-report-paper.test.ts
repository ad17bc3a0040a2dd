import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FPGA_BOARDS, CPUS, GPUS } from '../../../src/core/hardware/catalog';
import { TINYBERT_4L_312D } from '../../../src/core/hardware/workload';
import { paperView, PAPER_HEADLINE } from '../../../src/core/explore/paper-view';
import { reportCsv, reportHtml, reportJson } from '../../../src/ui/panels/select/report';
import { select } from '../../../src/core/explore/select';
import { CONTROL_RANGES, DEFAULT_STATE, cloneState, decodeState, encodeState } from '../../../src/ui/stores/url-state';

describe('URL state', () => {
  it('round-trips a changed state and keeps default links empty', () => {
    expect(encodeState(DEFAULT_STATE).toString()).toBe('');
    const s = cloneState(DEFAULT_STATE);
    s.pruning = { pattern: 'tile', sparsity: 0.65, split: 0.3, tr: 16, tc: 8, score: 'activation' };
    s.constraints = { lcMs: 2.5, acKind: 'min', acValue: 0.84, objective: 'power' };
    s.workload = { batch: 8, seq: 64 };
    s.view = { panel: 'select', device: 'zcu102' };
    const url = encodeState(s).toString();
    expect(decodeState(url)).toEqual({ state: s, rejected: [] });
  });

  it('carries per-kind sparsity (attention vs FFN) and leaves it out when uniform', () => {
    const s = cloneState(DEFAULT_STATE);
    s.pruning.groupSparsity = { attention: 0.5, ffn: 0.9 };
    const url = encodeState(s);
    expect(url.get('attn')).toBe('0.5');
    expect(url.get('ffn')).toBe('0.9');
    expect(decodeState(url).state.pruning.groupSparsity).toEqual({ attention: 0.5, ffn: 0.9 });
    expect(decodeState('attn=2').rejected).toEqual(['attn']);
    expect(decodeState('').state.pruning.groupSparsity).toBeUndefined();
  });

  it('takes only the tile sizes the Tr/Tc selects offer (a ?tr=7 link is reported, not shown blank)', () => {
    expect(decodeState('tr=7&tc=300').rejected).toEqual(['tr', 'tc']);
    expect(decodeState('tr=7').state.pruning.tr).toBe(DEFAULT_STATE.pruning.tr);
    for (const t of CONTROL_RANGES.tileSizes)
      expect(decodeState(`tr=${t}&tc=${t}`)).toMatchObject({ state: { pruning: { tr: t, tc: t } }, rejected: [] });
  });

  it('is robust to garbage: bad fields fall back to defaults and are reported', () => {
    const { state, rejected } = decodeState(
      'pattern=evil&sparsity=1.5&tr=3.5&lc=-1&obj=cheap&model=%3Cscript%3E&batch=4&acv=NaN',
    );
    expect(rejected.sort()).toEqual(['acv', 'lc', 'model', 'obj', 'pattern', 'sparsity', 'tr']);
    expect(state.pruning.pattern).toBe(DEFAULT_STATE.pruning.pattern);
    expect(state.workload.batch).toBe(4);
    fc.assert(
      fc.property(fc.string(), (junk) => {
        const d = decodeState(junk);
        expect(d.state.constraints.lcMs).toBeGreaterThan(0);
        expect(decodeState(encodeState(d.state))).toEqual({ state: d.state, rejected: [] });
      }),
      { numRuns: 200 },
    );
  });
});

describe('report exports and paper view', () => {
  const catalog = { fpgas: FPGA_BOARDS.slice(0, 3), cpus: CPUS.slice(0, 1), gpus: GPUS.slice(0, 1) };
  const sweep = {
    denseAccuracy: 0.85,
    points: [
      { pattern: 'dense' as const, sparsity: 0, accuracy: 0.85 },
      { pattern: 'hp' as const, sparsity: 0.5, split: 0.5, tile: { tr: 16, tc: 16 }, accuracy: 0.84 },
    ],
  };
  const input = {
    config: TINYBERT_4L_312D,
    batch: 1,
    seq: 128,
    lcMs: 30,
    ac: { kind: 'drop' as const, value: 0.02 },
    objective: 'price' as const,
    sweep,
    catalog,
  };
  const r = select(input);
  const ctx = {
    model: 'TinyBERT "4L", <312D>',
    batch: 1,
    seq: 128,
    lcMs: 30,
    ac: input.ac,
    objective: input.objective,
    createdAt: '2026-01-01T00:00:00Z',
  };

  it('exports JSON, CSV and an escaped printable page', () => {
    const json = reportJson(ctx, r) as { choice: { device: string }; devices: unknown[] };
    expect(json.choice.device).toBe(r.choice!.deviceId);
    expect(json.devices.length).toBe(r.verdicts.length);
    const csv = reportCsv(r).trim().split('\n');
    expect(csv.length).toBe(r.verdicts.length + 1);
    expect(csv[0]).toMatch(/^device,name,kind/);
    const html = reportHtml(ctx, r);
    expect(html).toContain('TinyBERT &quot;4L&quot;, &lt;312D&gt;');
    expect(html).not.toContain('<312D>');
  });

  it(
    'paper view: HP board beats the CPU, the GPU and the unbalanced tile-only design, ' +
      'labelled against the headline',
    () => {
      const rows = paperView({
        catalog: { fpgas: FPGA_BOARDS.filter((b) => b.id === 'alveo-u200'), cpus: CPUS, gpus: GPUS },
        shapes: [{ label: 'TinyBERT', config: TINYBERT_4L_312D, batch: 1, seq: 64 }],
      });
      expect(rows[0].board).toBe('Alveo U200');
      expect(rows[0].cpu.speedup).toBeGreaterThan(1);
      expect(rows[0].tile.speedup).toBeGreaterThan(1);
      expect(rows[0].cpu.paper).toBe(PAPER_HEADLINE.cpu);
      expect(rows[0].gpu.note).toMatch(/modelled/);
    },
  );
});

describe("URL state ranges are the controls' ranges (issue 18)", () => {
  it('values the controls cannot show are rejected', () => {
    const { state, rejected } = decodeState('tr=1024&tc=256&sparsity=0.999&attn=0.96&ffn=0.999&tr=3');
    expect(rejected.sort()).toEqual(['attn', 'ffn', 'sparsity', 'tc', 'tr']);
    expect(state.pruning).toMatchObject({
      tr: DEFAULT_STATE.pruning.tr,
      tc: DEFAULT_STATE.pruning.tc,
      sparsity: DEFAULT_STATE.pruning.sparsity,
    });
  });
  it('every value the controls offer round-trips', () => {
    for (const t of CONTROL_RANGES.tileSizes) expect(decodeState(`tr=${t}&tc=${t}`).rejected).toEqual([]);
    expect(
      decodeState(
        `sparsity=${CONTROL_RANGES.sparsity.max}&batch=${CONTROL_RANGES.batch.max}&seq=${CONTROL_RANGES.seq.max}`,
      ).rejected,
    ).toEqual([]);
  });
});
