// hp-lab sweep: accuracy (dev split by default) vs sparsity for every pattern; prints the points
// and a Markdown table (rows: series, columns: target sparsity; cells: accuracy @ achieved).
import { readFile } from 'node:fs/promises';
import { readDataset } from '../../eval/node-assets';
import { BertTokenizer } from '../../core/model/tokenizer';
import { parseSeries, sweepPoints, DEFAULT_SWEEP_SERIES } from '../../core/pruning';
import { createBertSession } from '../../eval/ort-session';
import { evaluateSession } from '../../eval/accuracy';
import { numberFlag, parseFlags } from '../args';
import { CliError } from '../cli-error';
import { PruneSession } from '../../lab/prune-session';
import { loadModel, modelPath } from '../model-file';
import { inputFile } from '../paths';
import { configFromFlags, loadNorms, pruneFlagSpec } from '../prune-flags';
import { recoverInSession } from '../calibration';

export const usage =
  `hp-lab sweep --model M.onnx [options]
  --series LIST        comma list of patterns and N:M presets (default ${DEFAULT_SWEEP_SERIES.join(',')})
  --sparsities LIST    comma list of target sparsities (default 0.5,0.7,0.8,0.9,0.95)
  --data PATH          labelled JSONL/CSV to evaluate on (default public/data/dev.jsonl)
  --tokenizer PATH     tokenizer.json (default public/tokenizer/tokenizer.json)
  --limit N            first N sentences only
  --recover K          lsq | lsq-dense: also measure every point after layer-wise reconstruction ` +
  `(cells: one-shot → recovered)
  --tile, --split, --score, --norms, --attn-sparsity, --ffn-sparsity, --calib, --damp: as for hp-lab prune`;

export async function run(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    ...pruneFlagSpec,
    series: { type: 'string' },
    sparsities: { type: 'string' },
    data: { type: 'string' },
    tokenizer: { type: 'string' },
    limit: { type: 'string' },
  });
  const { recovery, ...base } = configFromFlags(f);
  let series;
  try {
    series = (f.series ?? DEFAULT_SWEEP_SERIES.join(',')).split(',').map((s) => parseSeries(s.trim()));
  } catch (err) {
    throw new CliError(`--series: ${(err as Error).message}`);
  }
  const sparsities = (f.sparsities ?? '0.5,0.7,0.8,0.9,0.95')
    .split(',')
    .map((s) => numberFlag(s.trim(), 'sparsities', 0, 0, 1));
  const limit = f.limit === undefined ? undefined : numberFlag(f.limit, 'limit', 0, 1, 1e9, true);
  if (f.data !== undefined) inputFile('data', f.data);
  if (f.tokenizer !== undefined) inputFile('tokenizer', f.tokenizer);
  if (f.norms !== undefined) inputFile('norms', f.norms);
  const file = modelPath(f.model);
  const onnx = await loadModel(file);
  const session = new PruneSession(onnx);
  const norms = await loadNorms(f.norms, onnx.model, base.score);
  if (norms) session.setInputNorms(norms, base.score === 'obs' ? 'obs' : 'activation');
  const dataPath = f.data ?? 'public/data/dev.jsonl';
  const tokPath = f.tokenizer ?? 'public/tokenizer/tokenizer.json';
  let data, tokenizer;
  try {
    data = readDataset(dataPath);
    tokenizer = BertTokenizer.fromJson(JSON.parse(await readFile(tokPath, 'utf8')));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const evaluate = async (bytes: Uint8Array) => {
    const session = await createBertSession(bytes, { backend: 'wasm' });
    try {
      return await evaluateSession(session, tokenizer, data, { limit });
    } finally {
      await session.release();
    }
  };
  const dense = await evaluate(onnx.bytes);
  const rows: SweepRow[] = [];
  for (const point of sweepPoints(series, sparsities, base)) {
    const result = session.prune(point.config);
    const acc = await evaluate(session.prunedOnnx(point.config));
    const row: SweepRow = {
      series: point.series,
      targetSparsity: point.config.sparsity,
      achievedSparsity: +result.achievedSparsity.toFixed(4),
      accuracy: +acc.accuracy.toFixed(4),
    };
    if (recovery) {
      const recovered = { ...point.config, recovery };
      const summary = await recoverInSession(session, recovered, f['calib-data'], f.threads);
      row.recoveredAccuracy = +(await evaluate(session.prunedOnnx(recovered))).accuracy.toFixed(4);
      row.recoverMs = Math.round(summary.ms);
      row.recoverCpuMs = summary.cpuMs;
    }
    rows.push(row);
    const after =
      row.recoveredAccuracy === undefined
        ? ''
        : `, recovered ${row.recoveredAccuracy.toFixed(4)} (${row.recoverMs} ms)`;
    process.stderr.write(
      `${point.series} @ ${point.config.sparsity}: sparsity ${result.achievedSparsity.toFixed(3)}, ` +
        `accuracy ${acc.accuracy.toFixed(4)}${after}\n`,
    );
  }
  const pct = (v: number) => (v * 100).toFixed(1);
  const cell = (r: SweepRow) =>
    `${pct(r.accuracy)}${r.recoveredAccuracy === undefined ? '' : ` → **${pct(r.recoveredAccuracy)}**`}`;
  return {
    model: file,
    data: dataPath,
    sentences: dense.n,
    config: base,
    recovery,
    denseAccuracy: dense.accuracy,
    rows,
    table: markdownTable(rows, sparsities, dense.accuracy, cell),
  };
}

interface SweepRow {
  series: string;
  targetSparsity: number;
  achievedSparsity: number;
  accuracy: number;
  /** --recover: accuracy after layer-wise reconstruction (same masks). */
  recoveredAccuracy?: number;
  recoverMs?: number;
  /** CPU time of this process during the reconstruction (the machine may be shared). */
  recoverCpuMs?: number;
}

/** Rows: series; columns: target sparsity; cells: accuracy (one-shot → recovered) @ achieved sparsity. */
function markdownTable(
  rows: SweepRow[],
  sparsities: number[],
  dense: number,
  accuracy: (r: SweepRow) => string,
): string {
  const head = `| pattern | ${sparsities.map((s) => `${Math.round(s * 100)}%`).join(' | ')} |`;
  const lines = [head, `|---|${sparsities.map(() => '---').join('|')}|`];
  for (const name of [...new Set(rows.map((r) => r.series))]) {
    const mine = rows.filter((r) => r.series === name);
    const cells = sparsities.map((s) => {
      const r = mine.find((x) => Math.abs(x.targetSparsity - s) < 1e-9);
      return r ? `${accuracy(r)} (${(r.achievedSparsity * 100).toFixed(1)}%)` : '';
    });
    if (mine.length === 1 && cells.every((c) => c === '')) {
      const r = mine[0];
      lines.push(
        `| ${name} | ${accuracy(r)} at ${(r.achievedSparsity * 100).toFixed(1)}% |${sparsities
          .slice(1)
          .map(() => ' ')
          .join('|')}|`,
      );
    } else lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  lines.push(
    `| dense | ${(dense * 100).toFixed(1)} |${sparsities
      .slice(1)
      .map(() => ' ')
      .join('|')}|`,
  );
  return lines.join('\n');
}
