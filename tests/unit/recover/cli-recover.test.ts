import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as prune } from '../../../src/cli/commands/prune';
import { readHPW } from '../../../src/core/formats/hpw';
import { decodeHP } from '../../../src/core/formats/hp';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

describe('hp-lab prune --recover lsq', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-recover-'));
  const model = path.join(dir, 'tiny.onnx');
  // The real vocabulary size, so the train sentences tokenize into it.
  writeFileSync(
    model,
    buildTinyBertOnnx({ layers: 2, hidden: 24, heads: 3, ffn: 40, vocab: 30522, maxPositions: 128 }).bytes,
  );
  const weightsOf = (file: string) =>
    prunableLinears(parseBertOnnx(new Uint8Array(readFileSync(file))).model).map((l) => l.weight);

  it('keeps the one-shot masks (still HP-structured), changes the kept values, and the .hpw carries them', async () => {
    const flags = ['--model', model, '--pattern', 'hp', '--sparsity', '0.6', '--tile', '4x8'];
    const oneShot = path.join(dir, 'one-shot.onnx');
    await prune([...flags, '--out', oneShot]);
    const out = path.join(dir, 'recovered.onnx');
    const hpw = path.join(dir, 'recovered.hpw');
    const res = (await prune([
      ...flags,
      '--recover',
      'lsq',
      '--calib',
      '16',
      '--damp',
      '0.02',
      '--threads', // two batches of 8: one on a worker thread
      '2',
      '--out',
      out,
      '--hpw',
      hpw,
    ])) as { recovery: { sentences: number; tokens: number; damp: number; grouped: number; sweep: number } };
    expect(res.recovery).toMatchObject({ sentences: 16, damp: 0.02, threads: 2 });
    expect(res.recovery.tokens).toBeGreaterThan(16 * 3);
    expect(res.recovery.grouped + res.recovery.sweep).toBe(12);
    const before = weightsOf(oneShot);
    const after = weightsOf(out);
    const file = readHPW(new Uint8Array(readFileSync(hpw)));
    let changed = 0;
    after.forEach((w, i) => {
      w.forEach((v, j) => {
        expect(v === 0).toBe(before[i][j] === 0); // the same kept positions
        if (v !== before[i][j]) changed++;
      });
      expect(decodeHP(file.matrices[i].hp)).toEqual(w);
    });
    expect(changed).toBeGreaterThan(0.5 * after.reduce((n, w) => n + w.filter((v) => v !== 0).length, 0));
  }, 60_000);

  it('--fit-bias writes the fitted biases into the ONNX; --calib-data calibrates on another file', async () => {
    const calib = path.join(dir, 'calib.jsonl');
    writeFileSync(
      calib,
      ['a fine film .', 'dull and long .', 'the cast is great , the plot is thin .']
        .map((t) => JSON.stringify({ text: t, label: 1 }))
        .join('\n') + '\n',
    );
    const out = path.join(dir, 'bias.onnx');
    const flags = ['--model', model, '--pattern', 'hp', '--sparsity', '0.6', '--tile', '4x8', '--recover', 'lsq-dense'];
    const res = (await prune([
      ...flags,
      '--fit-bias',
      '--residual-targets',
      'on',
      '--calib-data',
      calib,
      '--out',
      out,
    ])) as {
      config: { recovery: object };
      recovery: { sentences: number };
    };
    expect(res.config.recovery).toMatchObject({ bias: true, residual: true });
    expect(res.recovery.sentences).toBe(3); // the file has 3 sentences
    const biasesOf = (file: string) =>
      prunableLinears(parseBertOnnx(new Uint8Array(readFileSync(file))).model).map((l) => l.bias);
    const dense = biasesOf(model);
    const fitted = biasesOf(out);
    expect(fitted.every((b, i) => b.some((v, j) => Math.abs(v - dense[i][j]) > 1e-6))).toBe(true);
  }, 60_000);

  it('explains bad recovery flags', async () => {
    await expect(prune(['--model', model, '--recover', 'sgd'])).rejects.toThrow(/--recover must be one of none, lsq/);
    await expect(prune(['--model', model, '--calib', '8'])).rejects.toThrow(/--calib, --damp.* go with --recover lsq/);
    await expect(
      prune(['--model', model, '--recover', 'lsq', '--fit-bias', '--hpw', path.join(dir, 'x.hpw')]),
    ).rejects.toThrow(/--hpw holds the matrices only, not the biases --fit-bias fits/);
    await expect(prune(['--model', model, '--recover', 'lsq', '--residual-targets', 'on'])).rejects.toThrow(
      /--residual-targets on goes with --recover lsq-dense/,
    );
    await expect(prune(['--model', model, '--recover', 'lsq-dense', '--residual-targets', 'yes'])).rejects.toThrow(
      /--residual-targets must be on or off, got 'yes'/,
    );
    await expect(
      prune(['--model', model, '--recover', 'lsq', '--calib-data', 'public/data/dev.jsonl']),
    ).rejects.toThrow(/refusing to calibrate on public\/data\/dev.jsonl/);
    await expect(prune(['--model', model, '--recover', 'lsq', '--damp=-1'])).rejects.toThrow(
      /--damp must be a decimal number/,
    );
  });
});
