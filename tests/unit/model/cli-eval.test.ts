import { expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildMlpOnnx, buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { run } from '../../../src/cli/commands/eval';
import { CliError } from '../../../src/cli/cli-error';

const dir = mkdtempSync(path.join(tmpdir(), 'hp-eval-'));
const model = path.join(dir, 'tiny.onnx');
writeFileSync(model, buildTinyBertOnnx({ vocab: 30522, maxPositions: 128, seed: 4 }).bytes);

test('hp-lab eval prints accuracy, n, time, throughput and backend; same numbers every run', async () => {
  const a = (await run(['--model', model, '--limit', '40', '--batch', '16'])) as Record<string, number | string>;
  expect(a).toMatchObject({ n: 40, backend: 'wasm', batch: 16 });
  expect(a.accuracy).toBe((a.correct as number) / 40);
  expect(a.sentences_per_s).toBeGreaterThan(0);
  const b = (await run(['--model', model, '--limit', '40', '--batch', '16'])) as Record<string, number>;
  expect(b.correct).toBe(a.correct);
  // The page's quick sample (quick-sample.ts), not the first sentences.
  expect(await run(['--model', model, '--quick', '12', '--batch', '8'])).toMatchObject({ n: 12 });
  await expect(run(['--model', model, '--quick', '12', '--limit', '40'])).rejects.toThrow(/--quick picks/);
}, 60_000);

test('hp-lab eval turns bad input into a CliError with the user message', async () => {
  const mlp = path.join(dir, 'mlp.onnx');
  writeFileSync(mlp, buildMlpOnnx());
  await expect(run(['--model', mlp])).rejects.toThrow(/not a BERT encoder classifier/);
  await expect(run(['--model', path.join(dir, 'missing.onnx')])).rejects.toBeInstanceOf(CliError);
  await expect(run(['--model', model, '--batch', '0'])).rejects.toThrow(/--batch must be/);
  await expect(run(['--model', model, '--max-length', '300'])).rejects.toThrow(/exceeds the model's 128 positions/);
  const csv = path.join(dir, 'd.csv');
  writeFileSync(csv, 'text,label\nfine,0\nodd,7\n');
  await expect(run(['--model', model, '--data', csv])).rejects.toThrow(/predicts only 2 classes/);
}, 30_000);

test(
  "hp-lab eval --hpw: the dense model with the file's matrices equals the pruned ONNX; " + 'mismatches are refused',
  async () => {
    const { run: prune } = await import('../../../src/cli/commands/prune');
    const pruned = path.join(dir, 'pruned.onnx');
    const hpw = path.join(dir, 'pruned.hpw');
    await prune([
      '--model',
      model,
      '--pattern',
      'hp',
      '--sparsity',
      '0.7',
      '--tile',
      '8x8',
      '--out',
      pruned,
      '--hpw',
      hpw,
    ]);
    const viaOnnx = (await run(['--model', pruned, '--limit', '40'])) as Record<string, number>;
    const viaHpw = (await run(['--model', model, '--hpw', hpw, '--limit', '40'])) as Record<string, number>;
    const dense = (await run(['--model', model, '--limit', '40'])) as Record<string, number>;
    expect(viaHpw.correct).toBe(viaOnnx.correct);
    expect(viaHpw).toMatchObject({ hpw: hpw });
    expect(dense).not.toHaveProperty('hpw');
    const other = path.join(dir, 'other.onnx');
    writeFileSync(other, buildTinyBertOnnx({ vocab: 30522, maxPositions: 128, hidden: 48, heads: 4, seed: 5 }).bytes);
    await expect(run(['--model', other, '--hpw', hpw, '--limit', '4'])).rejects.toThrow(/--hpw .*the model's is/);
    writeFileSync(path.join(dir, 'bad.hpw'), 'not an hpw');
    await expect(run(['--model', model, '--hpw', path.join(dir, 'bad.hpw')])).rejects.toThrow(
      /--hpw .*not a weights file/,
    );
  },
  60_000,
);

test('hp-lab eval --quant int8: the integer model beside f32 on the same sentences, dense and HP-pruned', async () => {
  const dense = (await run(['--model', model, '--limit', '12', '--quant', 'int8'])) as Record<string, unknown>;
  expect(dense).toMatchObject({
    quant: 'int8',
    n: 12,
    backend: 'int8-cpu',
    f32_backend: 'wasm',
    activations: 'dynamic (per token)',
  });
  expect(dense.delta).toBeCloseTo((dense.accuracy as number) - (dense.f32_accuracy as number), 12);
  expect(dense.agreement).toBeGreaterThan(0.5);
  const hp = (await run([
    '--model',
    model,
    '--limit',
    '12',
    '--quant',
    'int8',
    '--pattern',
    'hp',
    '--sparsity',
    '0.5',
    '--tile',
    '8x8',
    '--activations',
    'static',
    '--calibration-limit',
    '4',
  ])) as Record<string, unknown>;
  expect(hp).toMatchObject({ n: 12, pruned: { config: { pattern: 'hp', sparsity: 0.5 } } });
  expect(hp.activations).toMatch(/static .* max \|x\| over 4 sentences of public\/data\/train\.jsonl/);
  // The read scale (each token's over the columns the next HP linear reads), its logits saved.
  const logitsFile = path.join(dir, 'int8-logits.json');
  const read = (await run([
    ...['--model', model, '--limit', '12', '--quant', 'int8', '--int8-scale', 'read'],
    ...['--pattern', 'hp', '--sparsity', '0.5', '--tile', '8x8', '--save-logits', logitsFile],
  ])) as Record<string, unknown>;
  expect(read).toMatchObject({ n: 12, int8_scale: 'read', activations: 'dynamic (per token)' });
  const saved = JSON.parse(readFileSync(logitsFile, 'utf8'));
  expect(saved).toMatchObject({ scale: 'read' });
  expect(saved.rows.int8.logits).toHaveLength(12 * 2);
  await expect(run(['--model', model, '--int8-scale', 'col', '--quant', 'int8'])).rejects.toThrow(
    /--int8-scale must be/,
  );
  await expect(run(['--model', model, '--save-logits', logitsFile])).rejects.toThrow(/--save-logits goes with --quant/);
  const { run: prune } = await import('../../../src/cli/commands/prune');
  const hpw8 = path.join(dir, 'pruned8.hpw');
  await prune([
    '--model',
    model,
    '--pattern',
    'hp',
    '--sparsity',
    '0.5',
    '--tile',
    '8x8',
    '--value-type',
    'int8',
    '--hpw',
    hpw8,
  ]);
  const fromFile = (await run(['--model', model, '--hpw', hpw8, '--limit', '12', '--quant', 'int8'])) as Record<
    string,
    unknown
  >;
  expect(fromFile).toMatchObject({ n: 12, hpw: hpw8, backend: 'int8-cpu' });
  await expect(run(['--model', model, '--quant', 'int4'])).rejects.toThrow(/--quant must be f32, int8 or int16/);
  await expect(
    run(['--model', model, '--quant', 'int8', '--activations', 'static', '--calibration', 'public/data/dev.jsonl']),
  ).rejects.toThrow(/refusing to calibrate on public\/data\/dev\.jsonl/);
}, 120_000);

const SPW_CASE = 'hp-lab prune --spw writes any pattern; eval --hpw takes the .spw; hp-lab hpw checks and converts it';
test(
  SPW_CASE,
  async () => {
    const { run: prune } = await import('../../../src/cli/commands/prune');
    const { run: hpwCmd } = await import('../../../src/cli/commands/hpw');
    const pruned = path.join(dir, 'unstructured.onnx');
    const spw = path.join(dir, 'unstructured.spw');
    const out = (await prune([
      '--model',
      model,
      '--pattern',
      'unstructured',
      '--sparsity',
      '0.8',
      '--out',
      pruned,
      '--spw',
      spw,
    ])) as {
      written: Record<string, string>;
    };
    expect(out.written).toMatchObject({ onnx: pruned, spw });
    const viaOnnx = (await run(['--model', pruned, '--limit', '40'])) as Record<string, number>;
    const viaSpw = (await run(['--model', model, '--hpw', spw, '--limit', '40'])) as Record<string, number>;
    expect(viaSpw.correct).toBe(viaOnnx.correct);
    const half = path.join(dir, 'unstructured-f16.spw');
    const described = (await hpwCmd([spw, '--value-type', 'f16', '--out', half])) as {
      format: string;
      valueType: string;
      matrices: Array<{ sparsity: number }>;
    };
    expect(described).toMatchObject({ format: 'spw', valueType: 'f16' });
    expect(described.matrices).toHaveLength(12); // 2 layers x 6 linears
    for (const m of described.matrices) expect(m.sparsity).toBeCloseTo(0.8, 1);
    await expect(hpwCmd([spw, '--value-type', 'int8', '--out', half])).rejects.toThrow(/not int8/);
    await expect(
      prune(['--model', model, '--pattern', 'unstructured', '--value-type', 'int8', '--spw', spw]),
    ).rejects.toThrow(/--spw stores f32 or f16/);
  },
  60_000,
);

test('hp-lab eval --vs-dense: how closely the pruned model follows the dense one', async () => {
  type Out = { vs_dense: { dense_accuracy: number; agreement: number; kl: number }; accuracy: number };
  const flags = ['--model', model, '--limit', '40', '--vs-dense', '--pattern', 'unstructured'];
  const dense = (await run(['--model', model, '--limit', '40'])) as { accuracy: number };
  const same = (await run([...flags, '--sparsity', '0'])) as Out;
  expect(same.vs_dense).toMatchObject({ dense_accuracy: dense.accuracy, agreement: 1 });
  expect(same.vs_dense.kl).toBeLessThan(1e-9);
  const far = (await run([...flags, '--sparsity', '0.9'])) as Out;
  expect(far.vs_dense.dense_accuracy).toBe(dense.accuracy);
  expect(far.vs_dense.kl).toBeGreaterThan(1e-4);
  expect(far.vs_dense.agreement).toBeLessThanOrEqual(1);
  await expect(run(['--model', model, '--vs-dense'])).rejects.toThrow(/--vs-dense compares a pruned model/);
  // With --recover: the recovery's summary (sentences, CPU time) is printed with the result.
  const rec = (await run([...flags, '--sparsity', '0.9', '--recover', 'lsq', '--calib', '4'])) as Out & {
    pruned: { recovery: { sentences: number; cpuMs: number } };
  };
  expect(rec.pruned.recovery).toMatchObject({ sentences: 4 });
  expect(rec.pruned.recovery.cpuMs).toBeGreaterThan(0);
}, 60_000);
