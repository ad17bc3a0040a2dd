import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as prune } from '../../../src/cli/commands/prune';
import { run as hpwInfo } from '../../../src/cli/commands/hpw';
import { run as calibrate } from '../../../src/cli/commands/calibrate';
import { readHPW } from '../../../src/core/formats/hpw';
import { decodeHP } from '../../../src/core/formats/hp';
import { parseBertOnnx } from '../../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../../src/core/model/bert-types';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';

describe('hp-lab prune / hpw', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-prune-'));
  const model = path.join(dir, 'tiny.onnx');
  writeFileSync(model, buildTinyBertOnnx({ layers: 2, hidden: 24, heads: 3, ffn: 40 }).bytes);

  it('writes a pruned ONNX whose zeros are the mask and a .hpw that decodes to the same weights', async () => {
    const out = path.join(dir, 'p.onnx');
    const hpw = path.join(dir, 'p.hpw');
    const res = (await prune([
      '--model',
      model,
      '--pattern',
      'hp',
      '--sparsity',
      '0.6',
      '--tile',
      '4x8',
      '--split',
      '0.5',
      '--out',
      out,
      '--hpw',
      hpw,
    ])) as {
      achievedSparsity: number;
      matrices: Array<{ name: string; achievedSparsity: number; bytes: Record<string, number> }>;
    };
    expect(res.matrices).toHaveLength(12);
    const pruned = prunableLinears(parseBertOnnx(new Uint8Array(readFileSync(out))).model);
    const file = readHPW(new Uint8Array(readFileSync(hpw)));
    pruned.forEach((l, i) => {
      expect(file.matrices[i].name).toBe(l.name);
      expect(decodeHP(file.matrices[i].hp)).toEqual(l.weight);
      const zeros = l.weight.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
      expect(zeros / l.weight.length).toBeCloseTo(res.matrices[i].achievedSparsity, 5);
    });
    const info = (await hpwInfo([hpw])) as { matrices: unknown[] };
    expect(info.matrices).toHaveLength(12);

    // hp-lab hpw --value-type f16 --out: same masks, values rounded to f16, a smaller file
    const half = path.join(dir, 'p16.hpw');
    const conv = (await hpwInfo([hpw, '--value-type', 'f16', '--out', half])) as {
      valueType: string;
      bytes: number;
      from: string;
    };
    expect(conv).toMatchObject({ valueType: 'f16', from: hpw });
    expect(conv.bytes).toBeLessThan(readFileSync(hpw).byteLength);
    const f16 = readHPW(new Uint8Array(readFileSync(half)));
    expect(f16.info).toMatchObject({ convertedFrom: 'f32' });
    pruned.forEach((l, i) => {
      const w = decodeHP(f16.matrices[i].hp);
      w.forEach((v, j) => {
        expect(v === 0).toBe(l.weight[j] === 0);
        expect(Math.abs(v - l.weight[j])).toBeLessThanOrEqual(Math.abs(l.weight[j]) * 2 ** -11 + 1e-7);
      });
    });
    await expect(hpwInfo([hpw, '--value-type', 'f16'])).rejects.toThrow(/--value-type and --out go together/);
    await expect(hpwInfo([hpw, '--value-type', 'f64', '--out', half])).rejects.toThrow(/--value-type must be/);
  }, 30_000); // prunes, writes and re-reads two files: seconds on a loaded 2-core machine

  it('explains bad flags and refuses .hpw for non-HP patterns', async () => {
    await expect(prune(['--model', model, '--pattern', 'diagonal'])).rejects.toThrow(/--pattern must be one of/);
    await expect(prune(['--model', model, '--tile', '32'])).rejects.toThrow(/--tile must look like 32x32/);
    await expect(prune(['--model', model, '--sparsity', '1.2'])).rejects.toThrow(
      /--sparsity must be a decimal number in \[0, 1\]/,
    );
    await expect(calibrate(['--model', model, '--data', 'public/data/dev.jsonl'])).rejects.toThrow(
      /refusing to calibrate on public\/data\/dev.jsonl: use train sentences/,
    );
    await expect(
      prune(['--model', model, '--pattern', 'unstructured', '--hpw', path.join(dir, 'x.hpw')]),
    ).rejects.toThrow(/--hpw needs an HP-structured pattern/);
    await expect(prune(['--model', path.join(dir, 'missing.onnx')])).rejects.toThrow(/no such file/);
    const norms = path.join(dir, 'norms.json');
    writeFileSync(norms, JSON.stringify({}));
    await expect(prune(['--model', model, '--score', 'activation', '--norms', norms])).rejects.toThrow(
      /must be 24 non-negative numbers/,
    );
  });

  it('calibrates activation norms on train sentences of the shipped model, in the --norms format', async () => {
    const out = path.join(dir, 'norms.json');
    const res = (await calibrate(['--limit', '4', '--out', out])) as { sentences: number; matrices: number };
    expect(res).toMatchObject({ sentences: 4, matrices: 24 });
    const norms = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number[]>;
    const lengths = Object.values(norms).map((v) => v.length);
    expect(lengths.filter((n) => n === 312)).toHaveLength(20); // Q, K, V, attention out, FFN in read hidden
    expect(lengths.filter((n) => n === 1200)).toHaveLength(4); // FFN out reads the intermediate
    expect(
      Object.values(norms)
        .flat()
        .every((v) => v >= 0 && Number.isFinite(v)),
    ).toBe(true);
  }, 60_000); // parses the 29 MB model and runs 4 sentences: seconds on a loaded 2-core machine
});
