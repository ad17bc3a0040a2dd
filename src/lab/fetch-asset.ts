// Fetching models, tokenizers and datasets for a service (from a worker: absolute URLs), with the
// errors the page shows. Every download is bounded: it stops reading at a byte limit (with or
// without Content-Length), fails when the server sends nothing for a while, and can be
// cancelled. Bytes, not res.text(): a dataset's encoding is checked by dataset-text.ts instead
// of silently replaced.
import { ModelLoadError } from '../core/model/model-error';
import { MAX_DATASET_BYTES } from '../core/data/dataset-text';

export interface DownloadOptions {
  /** Stop reading past this many bytes and throw `tooLarge(bytes, exact)`; `exact`: the size
   *  the server declared, else the bytes read when the download was stopped. */
  maxBytes: number;
  tooLarge: (bytes: number, exact: boolean) => never;
  /** The visitor's cancel. */
  signal?: AbortSignal;
  /** No response, or no new bytes, for this long: stop (a stalled server). */
  stallMs?: number;
  onProgress?: (loaded: number, total: number | null) => void;
  /** Checks the response: once on its status and type, once more on the bytes read. */
  check?: (status: number, contentType: string | null, head?: Uint8Array) => void;
}

export const STALL_MS = 30_000;
/** Progress reports at most this often (and once at the end). */
const PROGRESS_EVERY_MS = 100;

export async function download(url: string, what: string, opts: DownloadOptions): Promise<Uint8Array> {
  const stallMs = opts.stallMs ?? STALL_MS;
  const ctrl = new AbortController();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      ctrl.abort();
    }, stallMs);
  };
  const onCancel = () => ctrl.abort();
  if (opts.signal?.aborted) ctrl.abort();
  opts.signal?.addEventListener('abort', onCancel);
  /** Why a read stopped, as the error the page shows. */
  const failure = (err: unknown, stage: string): ModelLoadError => {
    if (stalled)
      return new ModelLoadError(
        'timeout',
        `The server sent nothing for ${Math.round(stallMs / 1000)} s (${stage} ${url}); the download was stopped.`,
      );
    if (opts.signal?.aborted) return new ModelLoadError('cancelled', `The download of the ${what} was cancelled.`);
    return new ModelLoadError('not-found', `Could not download the ${what} from ${url} (network error).`, String(err));
  };
  arm();
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: ctrl.signal });
    } catch (err) {
      throw failure(err, 'waiting for');
    }
    opts.check?.(res.status, res.headers.get('content-type'));
    if (!res.ok)
      throw new ModelLoadError('not-found', `Could not download the ${what} from ${url} (HTTP ${res.status}).`);
    const declared = Number(res.headers.get('content-length')) || null;
    if (declared !== null && declared > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      opts.tooLarge(declared, true);
    }
    if (!res.body) {
      const whole = new Uint8Array(await res.arrayBuffer());
      opts.check?.(res.status, null, whole);
      return whole;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    let reported = 0;
    for (;;) {
      arm();
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw failure(err, 'reading');
      }
      if (step.done) break;
      loaded += step.value.byteLength;
      // Past the limit: stop reading now (a response without Content-Length is not trusted).
      if (loaded > opts.maxBytes) {
        await reader.cancel().catch(() => {});
        opts.tooLarge(loaded, false);
      }
      chunks.push(step.value);
      // A 29 MB model comes in hundreds of chunks: a message to the page for each would cost the
      // download more time than the bytes (measured: 2.7 s instead of 0.5 s on localhost).
      const t = Date.now();
      if (t - reported >= PROGRESS_EVERY_MS) {
        reported = t;
        opts.onProgress?.(loaded, declared);
      }
    }
    opts.onProgress?.(loaded, declared);
    if (declared !== null && loaded < declared) {
      throw new ModelLoadError(
        'truncated',
        `The ${what} download stopped early (${loaded} of ${declared} bytes). Try again.`,
      );
    }
    const bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    opts.check?.(res.status, null, bytes);
    return bytes;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

const tooLargeAsset =
  (what: string) =>
  (bytes: number, exact: boolean): never => {
    const size = exact ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `over ${(MAX_DATASET_BYTES / 2 ** 20).toFixed(0)} MB`;
    throw new ModelLoadError(
      'too-large',
      `The ${what} is ${size}; the limit here is ${(MAX_DATASET_BYTES / 2 ** 20).toFixed(0)} MB. Use a smaller one.`,
    );
  };

/** A tokenizer, dataset or calibration file: at most the dataset limit. */
export function fetchBytes(
  url: string,
  what: string,
  onProgress?: (loaded: number, total: number | null) => void,
): Promise<Uint8Array> {
  return download(url, what, { maxBytes: MAX_DATASET_BYTES, tooLarge: tooLargeAsset(what), onProgress });
}

/** UTF-8 text (a tokenizer.json): the page's own assets, decoded leniently. */
export const fetchText = async (url: string, what: string): Promise<string> =>
  new TextDecoder().decode(await fetchBytes(url, what));

/** JSON (a tokenizer file), refused with a message that names it. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelLoadError('bad-tokenizer', `The ${what} is not valid JSON.`);
  }
}
