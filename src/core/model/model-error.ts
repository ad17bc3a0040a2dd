// Every way loading a model, tokenizer or dataset can fail because of the input (not a bug):
// a typed code for tests and UI logic, and a message written for the person who chose the file.

export type ModelErrorCode =
  | 'not-found'
  | 'empty'
  | 'truncated'
  | 'not-onnx'
  | 'too-large'
  | 'external-data'
  | 'missing-input'
  | 'not-bert'
  | 'unsupported-tensor'
  | 'bad-tokenizer'
  | 'bad-dataset'
  | 'label-mismatch'
  | 'bad-tensor'
  | 'bad-weights'
  | 'cannot-run'
  | 'timeout'
  | 'cancelled'
  | 'bad-hpw';

export class ModelLoadError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    /** One or two sentences for the UI / CLI, saying what is wrong and what to do. */
    readonly userMessage: string,
    /** Technical detail (which node, which tensor) for logs. */
    readonly detail?: string,
  ) {
    super(detail ? `${userMessage} (${detail})` : userMessage);
    this.name = 'ModelLoadError';
  }
}

/** Errors cross worker boundaries as plain objects: rebuild the class on the other side. */
export function isModelLoadError(err: unknown): err is ModelLoadError {
  return (
    err instanceof ModelLoadError ||
    (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ModelLoadError')
  );
}

/** Browser memory is the limit: a page holding the bytes, the parsed weights and an ORT session
 *  needs roughly 3x the file. 600 MB keeps that under 2 GB. */
export const MAX_MODEL_BYTES = 600 * 1024 * 1024;

/** Throws the 'too-large' error for a file of `bytes` against the browser limit `limit`. */
export function tooLarge(bytes: number, limit = MAX_MODEL_BYTES): never {
  throw new ModelLoadError(
    'too-large',
    `The model is ${(bytes / 2 ** 20).toFixed(0)} MB; ` +
      `the browser limit here is ${(limit / 2 ** 20).toFixed(0)} MB. Use a smaller (e.g. quantised) BERT.`,
  );
}

/** A static host with an SPA fallback (Vite's preview, many CDNs) answers a missing file with
 *  its index.html and HTTP 200: say "no model at this URL", not "not an ONNX model". */
export function checkModelResponse(url: string, status: number, contentType: string | null, head?: Uint8Array): void {
  if (status < 200 || status > 299)
    throw new ModelLoadError('not-found', `Could not download the model from ${url} (HTTP ${status}).`);
  const text = head ? new TextDecoder().decode(head.subarray(0, 64)).trimStart().toLowerCase() : '';
  if (/^text\/html\b/i.test(contentType ?? '') || text.startsWith('<!doctype html') || text.startsWith('<html')) {
    throw new ModelLoadError(
      'not-found',
      `No model file at ${url}: the server answered with a web page (HTTP ${status}), ` +
        `as hosts do for a missing file. Check the URL.`,
    );
  }
}

/** 'too-large' for a download without Content-Length stopped at the limit: its size is unknown. */
export function tooLargeDownload(limit = MAX_MODEL_BYTES): never {
  throw new ModelLoadError(
    'too-large',
    `The model is over ${(limit / 2 ** 20).toFixed(0)} MB (the download was stopped there), ` +
      `the browser limit here. Use a smaller (e.g. quantised) BERT.`,
  );
}
