// The "paper view": speedups of the best HP accelerator over CPUs, GPUs and the tile-only FPGA
// design, for TinyBERT and a Transformer-base shape (BERT-base), next to the paper's headline
// (37x over CPU, 1.9x over GPU, 1.7x over tile-only). Everything here is modelled.
import { CATALOG } from '../hardware/catalog';
import type { BitWidth } from '../hardware/fpga-design';
import { searchDesign, type SearchOptions } from '../hardware/fpga-search';
import { calibratedFpgaMs } from '../hardware/fpga-calibration';
import type { MeasuredDevice } from '../hardware/roofline';
import type { Catalog } from '../hardware/types';
import { BERT_BASE, TINYBERT_4L_312D, type SparsityConfig } from '../hardware/workload';
import type { BertConfig } from '../model/bert-types';
import { DEFAULT_BIT_WIDTHS, DeviceEvaluator, type DeviceInfo } from './devices';
import { sparsityOf, type Sweep, type SweepPoint } from './sweep';
import { bertWorkload } from '../hardware/workload';

export const PAPER_HEADLINE = { cpu: 37, gpu: 1.9, tile: 1.7 } as const;

export interface PaperShape {
  label: string;
  config: BertConfig;
  batch: number;
  seq: number;
}

export const PAPER_SHAPES: PaperShape[] = [
  { label: 'TinyBERT-4L-312D', config: TINYBERT_4L_312D, batch: 1, seq: 128 },
  { label: 'BERT-base (Transformer-base: 12 layers, 768, 3072)', config: BERT_BASE, batch: 1, seq: 128 },
];

export interface PaperViewInput {
  /** HP configuration of the accelerator (default: 80% sparsity, split 0.5, 16x16 tiles). */
  hp?: SparsityConfig;
  /** With a sweep, the tile-only design is also compared at equal accuracy. */
  sweep?: Sweep | null;
  /** Accuracy of the HP configuration when it came from the sweep. */
  hpAccuracy?: number;
  cpuId?: string;
  gpuId?: string;
  shapes?: PaperShape[];
  catalog?: Catalog;
  measured?: MeasuredDevice[];
  bitWidths?: BitWidth[];
}

export interface Speedup {
  against: string;
  againstMs: number;
  speedup: number;
  paper: number | null;
  note: string;
}

export interface PaperRow {
  shape: PaperShape;
  board: string;
  hpMs: number;
  hpNote: string;
  cpu: Speedup;
  gpu: Speedup;
  /** Tile-only design, unbalanced blocks, same board, same density. */
  tile: Speedup;
  /** Tile-only design with row-balanced blocks (every tile-row keeps as many tiles), same
   *  board, same density: like against like, the load balance HP has, without its vector level. */
  tileBalanced: Speedup;
  /** Tile-only design on the sweep's row-balanced tile pattern at no less accuracy. */
  tileEqualAccuracy: Speedup | null;
  /** Vector-sparse design without HP's banking (bank conflicts), same board, same density. */
  vector: Speedup;
  allCpus: Speedup[];
  allGpus: Speedup[];
}

export const DEFAULT_PAPER_HP: SparsityConfig = {
  pattern: 'hp',
  density: 0.2,
  tr: 16,
  tc: 16,
  tileDensity: Math.sqrt(0.2),
  vectorDensity: Math.sqrt(0.2),
};

function speedup(against: string, againstMs: number, hpMs: number, paper: number | null, note: string): Speedup {
  return { against, againstMs, speedup: againstMs / hpMs, paper, note };
}

/** The sparsest tile-pattern point with accuracy >= target (same tile shape preferred). */
export function tileAtAccuracy(sweep: Sweep, target: number): SweepPoint | null {
  const ok = sweep.points.filter((p) => p.pattern === 'tile' && p.accuracy >= target);
  ok.sort((a, b) => b.sparsity - a.sparsity);
  return ok[0] ?? null;
}

export function paperView(input: PaperViewInput = {}): PaperRow[] {
  const catalog = input.catalog ?? CATALOG;
  const hp = input.hp ?? DEFAULT_PAPER_HP;
  const bitWidths = input.bitWidths ?? DEFAULT_BIT_WIDTHS;
  const cpuId = input.cpuId ?? 'x86-laptop';
  const gpuId = input.gpuId ?? 'rtx-3060';
  return (input.shapes ?? PAPER_SHAPES).map((shape) => {
    const ev = new DeviceEvaluator(shape.config, shape.batch, shape.seq, {
      catalog,
      measured: input.measured,
      bitWidths,
    });
    const fpgas = ev.devices.filter((d) => d.kind === 'fpga');
    const hpEvals = fpgas
      .map((d) => ev.evaluate(d, hp))
      .filter((e) => e.ok)
      .sort((a, b) => a.latencyMs - b.latencyMs);
    if (!hpEvals.length) throw new RangeError(`no FPGA board fits an HP design for ${shape.label}`);
    const best = hpEvals[0];
    const board = catalog.fpgas.find((b) => b.id === best.device.id)!;
    const hpMs = best.latencyMs;
    const versus = (d: DeviceInfo, paper: number | null) => {
      const e = ev.evaluate(d, hp);
      return speedup(d.name, e.latencyMs, hpMs, paper, `${e.provenance}: ${e.note}`);
    };
    const cpus = ev.devices.filter((d) => d.kind === 'cpu' && !d.own);
    const gpus = ev.devices.filter((d) => d.kind === 'gpu' && !d.own);
    const cpu = cpus.find((d) => d.id === cpuId) ?? cpus[0];
    const gpu = gpus.find((d) => d.id === gpuId) ?? gpus[0];
    /** The best `arch` design on the same board for `cfg`, as a row (no design: Infinity, why). */
    const designRow = (
      arch: 'tile' | 'vector',
      cfg: SparsityConfig,
      tileBalance: SearchOptions['tileBalance'],
      [name, failName]: [string, string],
      paper: number | null,
      note: string,
    ) => {
      const w = bertWorkload(shape.config, shape.batch, shape.seq, cfg);
      const run = searchDesign(board, arch, w, { bitWidths, ...(tileBalance ? { tileBalance } : {}) });
      return run.ok
        ? speedup(name, calibratedFpgaMs(board, run.estimate), hpMs, paper, note)
        : speedup(failName, Infinity, hpMs, paper, run.reason);
    };
    const density = `same density ${(hp.density * 100).toFixed(0)}%`;
    const tileCfg: SparsityConfig = { ...hp, pattern: 'tile', tileDensity: hp.density, vectorDensity: 1 };
    const tile = designRow(
      'tile',
      tileCfg,
      'random',
      [`${board.name} tile-only (unbalanced blocks)`, `${board.name} tile-only`],
      PAPER_HEADLINE.tile,
      `${density}, kept tiles per row vary (i.i.d. tile scores)`,
    );
    const tileBalanced = designRow(
      'tile',
      tileCfg,
      'balanced',
      [`${board.name} tile-only (balanced blocks)`, `${board.name} tile-only (balanced)`],
      PAPER_HEADLINE.tile,
      `${density}, every tile-row keeps the same number of tiles`,
    );
    const vecCfg: SparsityConfig = { ...hp, pattern: 'vector', tileDensity: 1, vectorDensity: hp.density };
    const vector = designRow(
      'vector',
      vecCfg,
      undefined,
      [`${board.name} vector-sparse (no HP banking)`, `${board.name} vector-sparse`],
      null,
      `same density, kept columns anywhere in a tile-row, bank conflicts`,
    );
    let tileEqualAccuracy: Speedup | null = null;
    if (input.sweep && input.hpAccuracy !== undefined) {
      const p = tileAtAccuracy(input.sweep, input.hpAccuracy);
      if (p) {
        const r = searchDesign(board, 'tile', bertWorkload(shape.config, shape.batch, shape.seq, sparsityOf(p)), {
          bitWidths,
          tileBalance: 'balanced',
        });
        if (r.ok)
          tileEqualAccuracy = speedup(
            `${board.name} tile-only at equal accuracy`,
            calibratedFpgaMs(board, r.estimate),
            hpMs,
            PAPER_HEADLINE.tile,
            `tile pattern ${(p.sparsity * 100).toFixed(1)}% sparse, ` +
              `accuracy ${(p.accuracy * 100).toFixed(2)}% (row-balanced)`,
          );
      }
    }
    return {
      shape,
      board: board.name,
      hpMs,
      hpNote: best.note,
      cpu: versus(cpu, PAPER_HEADLINE.cpu),
      gpu: versus(gpu, PAPER_HEADLINE.gpu),
      tile,
      tileBalanced,
      tileEqualAccuracy,
      vector,
      allCpus: cpus.map((d) => versus(d, null)),
      allGpus: gpus.map((d) => versus(d, null)),
    };
  });
}
