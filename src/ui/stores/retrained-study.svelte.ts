// The retraining study's files (models/retrained/: the manifest of shipped .hpw files and
// study-sweep.json, every pattern retrained on a GPU, mean over seeds, measured on the shipped
// model), fetched once and shared by the Model panel's list, the sweep chart and the device
// choice, which show them beside the page's own one-shot sweep.
import { parseSweep, type Sweep } from '../../core/explore/sweep';
import { parseRetrainedManifest, type RetrainedManifest } from '../../core/model/retrained-manifest';

export const retrainedStudy = $state<{ manifest: RetrainedManifest | null; sweep: Sweep | null; error: string }>({
  manifest: null,
  sweep: null,
  error: '',
});

let loading: Promise<void> | undefined;

/** Fetches the manifest and the study's sweep once per page; a deployment without them shows nothing. */
export function loadRetrainedStudy(modelsBase = 'models/'): Promise<void> {
  loading ??= (async () => {
    try {
      const res = await fetch(`${modelsBase}retrained/manifest.json`);
      if (!res.ok) return;
      const manifest = parseRetrainedManifest(await res.json());
      retrainedStudy.manifest = manifest;
      const sweep = await fetch(`${modelsBase}retrained/${manifest.sweep}`);
      if (!sweep.ok) throw new Error(`${manifest.sweep}: HTTP ${sweep.status}`);
      retrainedStudy.sweep = parseSweep(await sweep.json());
    } catch (e) {
      retrainedStudy.error = `The retraining study's files are unreadable: ${(e as Error).message}`;
    }
  })();
  return loading;
}

/** The study applies to the shipped model only: true when `source` (a URL or file name) is it. */
export function isStudyModel(source: string | undefined): boolean {
  const base = retrainedStudy.manifest?.base;
  return !!source && !!base && source.split('/').pop() === base;
}
