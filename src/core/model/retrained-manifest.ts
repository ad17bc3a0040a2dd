// models/retrained/manifest.json (written by scripts/train/study_report.py --manifest): the
// retraining study's shipped .hpw files, each with its own measured accuracy and the study's
// mean over seeds. Parsed strictly: the page lists only what it can describe truthfully.
export interface RetrainedFile {
  file: string;
  pattern: string;
  tile: string;
  /** Target sparsity and the one the CLI's masks reached. */
  sparsity: number;
  achieved: number;
  seed: number;
  /** This file's accuracy (dev, test), measured when it was trained and re-measured by `hp-lab eval --hpw`. */
  dev: number;
  test: number;
  study: { devMean: number; devSd: number; seeds: number };
  /** How this file was made, e.g. "retrained" or "recovered (least squares) and retrained"; older
   *  manifests have only the manifest's `how`. */
  method?: string;
}

export interface RetrainedManifest {
  /** The dense ONNX (in models/) the files apply to, and its sha256. */
  base: string;
  baseSha256: string;
  denseDev: number;
  /** The study's retrained points as a sweep file (same folder). */
  sweep: string;
  /** How they were made, one phrase. */
  how: string;
  files: RetrainedFile[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const unit = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${what} must be a number in [0, 1]`);
  return v;
};
const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new RangeError(`${what} must be a non-empty string`);
  return v;
};
// A file name inside the folder: no path, no URL (the page fetches it next to the manifest).
const fileName = (v: unknown, what: string): string => {
  const s = text(v, what);
  if (!/^[\w.-]+$/.test(s)) throw new RangeError(`${what} must be a plain file name, got '${s}'`);
  return s;
};

export function parseRetrainedManifest(json: unknown): RetrainedManifest {
  if (!isObj(json) || !Array.isArray(json.files))
    throw new RangeError('not a retrained-models manifest ({base, files: [...]})');
  return {
    base: fileName(json.base, 'base'),
    baseSha256: text(json.baseSha256, 'baseSha256'),
    denseDev: unit(json.denseDev, 'denseDev'),
    sweep: fileName(json.sweep, 'sweep'),
    how: text(json.how, 'how'),
    files: json.files.map((f, i) => {
      if (!isObj(f) || !isObj(f.study)) throw new RangeError(`files[${i}] is not an object with a study`);
      const seeds = f.study.seeds;
      if (typeof seeds !== 'number' || !Number.isInteger(seeds) || seeds < 1)
        throw new RangeError(`files[${i}].study.seeds must be a whole number >= 1`);
      return {
        file: fileName(f.file, `files[${i}].file`),
        pattern: text(f.pattern, `files[${i}].pattern`),
        tile: text(f.tile, `files[${i}].tile`),
        sparsity: unit(f.sparsity, `files[${i}].sparsity`),
        achieved: unit(f.achieved, `files[${i}].achieved`),
        seed: typeof f.seed === 'number' ? f.seed : 0,
        dev: unit(f.dev, `files[${i}].dev`),
        test: unit(f.test, `files[${i}].test`),
        ...(f.method === undefined ? {} : { method: text(f.method, `files[${i}].method`) }),
        study: {
          devMean: unit(f.study.devMean, `files[${i}].study.devMean`),
          devSd: unit(f.study.devSd, `files[${i}].study.devSd`),
          seeds,
        },
      };
    }),
  };
}

const pct = (x: number) => (x * 100).toFixed(1);

/** One line for a list: "HP 32x32 at 78.4%, recovered and retrained: dev 76.2% (study 76.5 ± 0.3 over 3
 *  seeds)". The tile is named only for the patterns that have one. */
export function retrainedLabel(f: RetrainedFile): string {
  const name = f.pattern === 'hp' ? 'HP' : f.pattern;
  const tiled = ['hp', 'tile', 'vector'].includes(f.pattern) ? ` ${f.tile}` : '';
  const how = f.method ? `, ${f.method.replace(/ \(least squares\)/, '')}` : '';
  return (
    `${name}${tiled} at ${pct(f.achieved)}%${how}: dev ${pct(f.dev)}% ` +
    `(study ${pct(f.study.devMean)} ± ${pct(f.study.devSd)} over ${f.study.seeds} seeds)`
  );
}

/** What the loaded model is, for the label of its accuracy: "dense" for an ONNX file, the list's
 *  name ("HP 32x32 80% retrained") for one of the manifest's files applied to its base, "pruned
 *  (name.hpw)" for any other weights file (.hpw, .spw). `source` is the page's model name:
 *  "base.onnx + file.hpw" for a weights file applied to a model. */
export function loadedModelLabel(source: string, manifest?: RetrainedManifest | null): string {
  const at = source.lastIndexOf(' + ');
  const file = at >= 0 ? source.slice(at + 3) : '';
  if (!/\.[hs]pw$/i.test(file)) return 'dense';
  const base = source.slice(0, at).split('/').pop();
  const f = manifest && base === manifest.base ? manifest.files.find((x) => x.file === file) : undefined;
  if (!f) return `pruned (${file})`;
  const name = f.pattern === 'hp' ? 'HP' : f.pattern;
  const tiled = ['hp', 'tile', 'vector'].includes(f.pattern) ? ` ${f.tile}` : '';
  const how = f.method ? f.method.replace(/ \(least squares\)/, '') : 'retrained';
  return `${name}${tiled} ${Math.round(f.sparsity * 100)}% ${how}`;
}
