// The page's first model, tokenizer and dataset start loading as soon as the page's script runs,
// before the page is drawn: mounting every section took 0.3 s of CPU (0.6 s at load 18) before
// ModelPanel's onMount asked for them, and the manifest's round trip came after that. ModelPanel
// takes over what was started here (same URLs), or starts its own (other URLs).
import { defaultModelFile, type Manifest } from '../../core/model/manifest';
import { downloadModel } from '../../workers/model.client';
import { loadDatasetUrl, loadTokenizer, type DatasetInfo } from '../../workers/eval.client';

type Progress = (loaded: number, total: number | null) => void;

export interface FirstLoadUrls {
  modelsBase: string;
  tokenizerUrl: string;
  tokenizerConfigUrl: string;
  dataUrl: string;
}

export const FIRST_LOAD_URLS: FirstLoadUrls = {
  modelsBase: 'models/',
  tokenizerUrl: 'tokenizer/tokenizer.json',
  tokenizerConfigUrl: 'tokenizer/tokenizer_config.json',
  dataUrl: 'data/dev.jsonl',
};

export interface FirstLoad {
  /** The models' manifest ({} when the server has none: the caller says no model is named). */
  manifest: Promise<Manifest>;
  /** Tokenizer, then dataset, in the eval worker. */
  text: Promise<DatasetInfo>;
  /** The model at `url`: the download started here when it is the manifest's model (progress from
   *  now on goes to `onProgress`), else a new one. */
  download(url: string, onProgress?: Progress): Promise<Uint8Array>;
}

const readManifest = (base: string): Promise<Manifest> =>
  fetch(`${base}manifest.json`).then((r) => (r.ok ? r.json() : {})) as Promise<Manifest>;

function startLoad(urls: FirstLoadUrls, early: boolean): FirstLoad {
  const manifest = readManifest(urls.modelsBase);
  // Side by side, not one after the other: each waits for the eval worker's thread (see loadTokenizer).
  const text = Promise.all([
    loadTokenizer(urls.tokenizerUrl, urls.tokenizerConfigUrl),
    loadDatasetUrl(urls.dataUrl),
  ]).then(([, dataset]) => dataset);
  // Awaited by their taker; no unhandled rejection before it takes them.
  manifest.catch(() => undefined);
  text.catch(() => undefined);
  if (!early) return { manifest, text, download: (url, onProgress) => downloadModel(url, onProgress) };
  let listener: Progress | null = null;
  let startedUrl: string | undefined;
  const started = manifest.then((m) => {
    const file = defaultModelFile(m);
    if (!file) return null;
    startedUrl = urls.modelsBase + file;
    const bytes = downloadModel(startedUrl, (loaded, total) => listener?.(loaded, total));
    bytes.catch(() => undefined);
    return bytes;
  });
  started.catch(() => undefined);
  let taken = false;
  return {
    manifest,
    text,
    async download(url, onProgress) {
      const bytes = await started.catch(() => null);
      if (taken || !bytes || url !== startedUrl) return downloadModel(url, onProgress);
      taken = true;
      listener = onProgress ?? null;
      return bytes;
    },
  };
}

let early: { urls: FirstLoadUrls; load: FirstLoad } | null = null;

/** Starts the default first load (main.ts, before mounting the page). */
export function startFirstLoad(): void {
  early ??= { urls: FIRST_LOAD_URLS, load: startLoad(FIRST_LOAD_URLS, true) };
}

/** What was started for these URLs (once), or a new load of them. */
export function takeFirstLoad(urls: FirstLoadUrls): FirstLoad {
  const mine = early;
  early = null;
  const same = mine && (Object.keys(urls) as (keyof FirstLoadUrls)[]).every((k) => urls[k] === mine.urls[k]);
  return same ? mine.load : startLoad(urls, false);
}
