// hp-lab finetune end to end on Dawn + SwiftShader with a tiny BERT (real tokenizer vocabulary)
// and a tiny train/dev set: the JSON report, the written ONNX (pruned positions still zero,
// kept ones trained) and .hpw, the bad-flag messages.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as finetune } from '../../src/cli/commands/finetune';
import { readHPW } from '../../src/core/formats/hpw';
import { decodeHP } from '../../src/core/formats/hp';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../src/core/model/bert-types';
import { matrixInputs, pruneMatrices } from '../../src/core/pruning';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';

describe('hp-lab finetune', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-finetune-'));
  const model = path.join(dir, 'tiny.onnx');
  const tiny = buildTinyBertOnnx({ layers: 2, hidden: 16, heads: 2, ffn: 32, vocab: 30522, maxPositions: 64, seed: 3 });
  writeFileSync(model, tiny.bytes);
  const sentences = [
    'a gripping , funny film',
    'dull and far too long',
    'one of the best of the year',
    'a mess from start to finish',
    'warm , clever and moving',
    'it never comes alive',
    'sharp writing and fine acting',
    'tedious , lifeless and flat',
  ];
  const data = path.join(dir, 'train.jsonl');
  writeFileSync(data, sentences.map((text, i) => JSON.stringify({ text, label: (i + 1) % 2 })).join('\n'));

  it('trains, keeps the masks, writes ONNX + .hpw + the JSON report', async () => {
    const [out, hpw, report] = ['ft.onnx', 'ft.hpw', 'ft.json'].map((f) => path.join(dir, f));
    const res = (await finetune([
      '--model',
      model,
      '--pattern',
      'hp',
      '--sparsity',
      '0.5',
      '--tile',
      '8x8',
      '--epochs',
      '2',
      '--batch',
      '4',
      '--lr',
      '0.003',
      '--distill',
      '2',
      '--max-length',
      '16',
      '--train',
      data,
      '--data',
      data,
      '--baselines',
      '--out',
      out,
      '--hpw',
      hpw,
      '--report',
      report,
    ])) as Record<string, unknown> & { losses: number[]; accuracy: number; epoch_ms: number[] };
    expect(res.losses).toHaveLength(2);
    expect(res.losses[1]).toBeLessThan(res.losses[0]);
    expect(res.accuracy).toBeGreaterThanOrEqual(0);
    expect(res.accuracy).toBeLessThanOrEqual(1);
    expect(res.epoch_ms).toHaveLength(2);
    expect(typeof res.dense_accuracy).toBe('number');
    expect(JSON.parse(readFileSync(report, 'utf8')).losses).toEqual(res.losses);
    const before = prunableLinears(tiny.model);
    const masks = pruneMatrices(matrixInputs(tiny.model), {
      pattern: 'hp',
      score: 'magnitude',
      tr: 8,
      tc: 8,
      sparsity: 0.5,
      split: 0.5,
    }).matrices.map((m) => m.mask);
    const trained = prunableLinears(parseBertOnnx(new Uint8Array(readFileSync(out))).model);
    const file = readHPW(new Uint8Array(readFileSync(hpw)));
    trained.forEach((l, i) => {
      // The .hpw holds exactly the ONNX's weights; zeros where HP pruned, trained values elsewhere.
      expect(decodeHP(file.matrices[i].hp)).toEqual(l.weight);
      l.weight.forEach((w, j) => {
        if (!masks[i][j]) expect(w).toBe(0);
      });
      expect(l.weight.some((w, j) => w !== 0 && w !== before[i].weight[j])).toBe(true);
    });

    // --start: training continues from that file's kept values; --time-limit cuts it after a step.
    const again = path.join(dir, 'again.hpw');
    const cut = (await finetune([
      ...['--model', model, '--pattern', 'hp', '--sparsity', '0.5', '--tile', '8x8', '--epochs', '2', '--batch', '4'],
      ...['--lr', '1e-9', '--max-length', '16', '--train', data, '--no-eval', '--holdout', '0'],
      ...['--start', hpw, '--time-limit', '0.001', '--hpw', again],
    ])) as Record<string, unknown>;
    expect(cut).toMatchObject({ start: hpw, time_limited: true, steps: 1, epochs_run: 1 });
    expect(cut.recovery).toBeUndefined();
    const next = readHPW(new Uint8Array(readFileSync(again)));
    next.matrices.forEach((m, i) =>
      m.hp.values.forEach((v, j) => expect(v).toBeCloseTo(file.matrices[i].hp.values[j], 6)),
    );
    await expect(
      finetune(['--model', model, '--pattern', 'hp', '--sparsity', '0.7', '--tile', '8x8', '--start', hpw]),
    ).rejects.toThrow(/--start .*ft\.hpw: the starting weights of '.+' do not have this pruning's masks/);
  });

  it('from reconstructed weights, distils on reviews and hidden states, keeps the best held-out state', async () => {
    const train20 = path.join(dir, 'train20.jsonl');
    const more = sentences.map((t) => `${t} , really`);
    writeFileSync(
      train20,
      [...sentences, ...more, ...sentences.slice(0, 4).map((t) => `so ${t}`)]
        .map((text, i) => JSON.stringify({ text, label: (i + 1) % 2 }))
        .join('\n'),
    );
    const dev = path.join(dir, 'dev.jsonl');
    writeFileSync(dev, JSON.stringify({ text: 'a film that never comes alive .', label: 0 }));
    // Three reviews: 5 usable sentences (one too short, one a dev sentence, one repeated).
    const reviews = path.join(dir, 'reviews.jsonl');
    writeFileSync(
      reviews,
      [
        'the plot is thin but the cast is lovely . too short . a film that never comes alive .',
        'i laughed a lot during the first hour . the ending drags on and on !',
        'i laughed a lot during the first hour . what a strange little movie this is ? the score is great fun .',
      ]
        .map((text) => JSON.stringify({ text, label: 1 }))
        .join('\n'),
    );
    const out = path.join(dir, 'ft2.onnx');
    const res = (await finetune([
      ...['--model', model, '--pattern', 'hp', '--sparsity', '0.5', '--tile', '8x8', '--epochs', '2'],
      ...['--batch', '4', '--lr', '0.003', '--distill', '2', '--hidden-mse', '1', '--max-length', '16'],
      ...['--train', train20, '--data', dev, '--unlabelled', reviews, '--out', out],
    ])) as Record<string, unknown> & {
      config: { recovery?: { kind: string } };
      held_out: { epoch: number; accuracy: number }[];
      best_epoch: number;
      epochs_run: number;
      losses: number[];
    };
    expect(res.config.recovery?.kind).toBe('lsq-dense');
    expect(res.recovery).toBeDefined();
    expect(res.unlabelled_sentences).toBe(5);
    expect(res.labelled_sentences).toBe(18); // 20 minus 10% held out
    expect(res.held_out.map((h) => h.epoch)).toEqual([0, 1, 2].slice(0, res.epochs_run + 1));
    expect(res.best_epoch).toBeGreaterThanOrEqual(0);
    expect(res.best_epoch).toBeLessThanOrEqual(res.epochs_run);
    expect(res.losses).toHaveLength(res.epochs_run);
    // Steps per epoch: ceil(18 / 4) labelled + ceil(5 / 4) unlabelled batches.
    expect(res.steps).toBe(7 * res.epochs_run);
    const back = parseBertOnnx(new Uint8Array(readFileSync(out))).model;
    if (res.best_epoch > 0) expect(back.layers[0].ln1.gamma).not.toEqual(tiny.model.layers[0].ln1.gamma);
    const masks = pruneMatrices(matrixInputs(tiny.model), {
      pattern: 'hp',
      score: 'magnitude',
      tr: 8,
      tc: 8,
      sparsity: 0.5,
      split: 0.5,
    }).matrices.map((m) => m.mask);
    prunableLinears(back).forEach((l, i) => l.weight.forEach((w, j) => !masks[i][j] && expect(w).toBe(0)));
  });

  it('explains bad flags', async () => {
    await expect(finetune(['--model', model, '--pattern', 'unstructured'])).rejects.toThrow(/HP-structured/);
    await expect(finetune(['--model', model, '--epochs', '0'])).rejects.toThrow(/--epochs must be an integer/);
    const labelsOnly = ['--model', model, '--no-distill'];
    await expect(finetune([...labelsOnly, '--alpha', '0.5'])).rejects.toThrow(/--alpha weighs distillation/);
    await expect(finetune([...labelsOnly, '--unlabelled', 'x.txt'])).rejects.toThrow(/drop --no-distill/);
    await expect(finetune([...labelsOnly, '--hidden-mse', '1'])).rejects.toThrow(/--hidden-mse needs distillation/);
    await expect(finetune([...labelsOnly, '--distill', '2'])).rejects.toThrow(/exclude each other/);
    await expect(finetune(['--model', model, '--recover', 'magic'])).rejects.toThrow(/--recover must be one of/);
    await expect(finetune(['--model', model, '--holdout', '2'])).rejects.toThrow(/--holdout/);
    await expect(finetune(['--model', model, '--max-length', '100'])).rejects.toThrow(
      /exceeds the model's 64 positions/,
    );
  });
});
