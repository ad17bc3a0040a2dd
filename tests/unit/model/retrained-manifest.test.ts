import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { loadedModelLabel, parseRetrainedManifest, retrainedLabel } from '../../../src/core/model/retrained-manifest';
import { denseMatrices, readWeightsFile } from '../../../src/core/formats/weights-file';
import { parseSweep } from '../../../src/core/explore/sweep';

const dir = 'public/models/retrained/';

test(
  'the shipped retrained manifest parses, names weight files (.hpw, .spw) that exist, are as sparse as it says, ' +
    'and apply to the default model',
  () => {
    const m = parseRetrainedManifest(JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')));
    const models = JSON.parse(readFileSync('public/models/manifest.json', 'utf8')) as { file: string; sha256: string };
    expect(m.base).toBe(models.file);
    expect(m.baseSha256).toBe(models.sha256);
    expect(m.files.map((f) => `${f.pattern}-${f.sparsity}`)).toEqual(expect.arrayContaining(['hp-0.8', 'hp-0.9']));
    for (const f of m.files) {
      const file = readWeightsFile(new Uint8Array(readFileSync(dir + f.file)));
      expect(file.kind).toBe(['hp', 'tile', 'vector'].includes(f.pattern) ? 'hpw' : 'spw');
      const matrices = denseMatrices(file);
      expect(matrices).toHaveLength(24);
      let zeros = 0;
      let total = 0;
      for (const w of matrices.map((x) => x.weight())) {
        total += w.length;
        for (const x of w) if (x === 0) zeros++;
      }
      expect(zeros / total).toBeCloseTo(f.achieved, 2); // the pruned file, not the dense model
      expect(retrainedLabel(f)).toMatch(
        new RegExp(`at ${(f.achieved * 100).toFixed(1)}%(, [\\w ()-]+)?: dev ${(f.dev * 100).toFixed(1)}%`),
      );
    }
    // the study's sweep is readable by the selection, every point trained after pruning and below dense
    const sweep = parseSweep(JSON.parse(readFileSync(dir + m.sweep, 'utf8')));
    expect(sweep.denseAccuracy).toBe(m.denseDev);
    expect(
      sweep.points.every((p) => /retrained|fine-tuned/.test(p.label ?? '') && p.accuracy < m.denseDev && p.n === 500),
    ).toBe(true);
  },
  60_000, // decodes seven files of 4.5 M weights each
);

test('a manifest that could mislead is refused', () => {
  const ok = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as Record<string, unknown>;
  expect(() => parseRetrainedManifest(null)).toThrow(/not a retrained-models manifest/);
  expect(() => parseRetrainedManifest({ ...ok, base: '../evil.onnx' })).toThrow(/plain file name/);
  const files = ok.files as Array<Record<string, unknown>>;
  expect(() => parseRetrainedManifest({ ...ok, files: [{ ...files[0], dev: 83 }] })).toThrow(
    /files\[0\]\.dev must be a number in \[0, 1\]/,
  );
  expect(() => parseRetrainedManifest({ ...ok, files: [{ ...files[0], file: 'https://x/y.hpw' }] })).toThrow(
    /plain file name/,
  );
});

test('the accuracy of a loaded model is labelled by what is loaded, not always "dense"', () => {
  const m = parseRetrainedManifest(JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')));
  expect(loadedModelLabel('models/tinybert-rt.onnx', m)).toBe('dense');
  expect(loadedModelLabel('my-bert.onnx', null)).toBe('dense');
  // The list's files on their base (as the Model panel names them), by the list's name.
  expect(loadedModelLabel('tinybert-rt.onnx + hp-32x32-80-recovered-retrained.hpw', m)).toBe(
    'HP 32x32 80% recovered and retrained',
  );
  expect(loadedModelLabel('tinybert-rt.onnx + tile-32x32-90-retrained.hpw', m)).toBe('tile 32x32 90% retrained');
  // Any other .hpw (picked, on another base, on top of another .hpw, or no manifest): by its file.
  expect(loadedModelLabel('tinybert-rt.onnx + recovered.hpw', m)).toBe('pruned (recovered.hpw)');
  expect(loadedModelLabel('tinybert-rt.onnx + nm.spw', m)).toBe('pruned (nm.spw)');
  // A listed file's method, and no tile for untiled patterns.
  const listed = (f: Partial<(typeof m.files)[number]>) => ({ ...m, files: [{ ...m.files[0], ...f }] });
  const name = m.files[0].file;
  expect(
    loadedModelLabel(`tinybert-rt.onnx + ${name}`, listed({ method: 'recovered (least squares) and retrained' })),
  ).toBe('HP 32x32 80% recovered and retrained');
  expect(
    loadedModelLabel(
      `tinybert-rt.onnx + ${name}`,
      listed({ pattern: 'unstructured', sparsity: 0.5, method: undefined }),
    ),
  ).toBe('unstructured 50% retrained');
  expect(loadedModelLabel('other.onnx + hp-32x32-80-retrained.hpw', m)).toBe('pruned (hp-32x32-80-retrained.hpw)');
  expect(loadedModelLabel('tinybert-rt.onnx + a.hpw + hp-32x32-80-retrained.hpw', m)).toBe(
    'pruned (hp-32x32-80-retrained.hpw)',
  );
  expect(loadedModelLabel('tinybert-rt.onnx + hp-32x32-80-retrained.hpw', null)).toBe(
    'pruned (hp-32x32-80-retrained.hpw)',
  );
});
