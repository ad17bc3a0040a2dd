// Fetching the tokenizer and datasets for a service (from a worker: absolute URLs), with the
// errors the page shows. Bytes, not res.text(): a dataset's encoding is checked by
// dataset-text.ts instead of silently replaced.
import { ModelLoadError } from '../core/model/model-error';

export async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const res = await fetch(url).catch((err) => {
    throw new ModelLoadError('not-found', `Could not download the ${what} from ${url} (network error).`, String(err));
  });
  if (!res.ok) throw new ModelLoadError('not-found', `Could not download the ${what} from ${url} (HTTP ${res.status}).`);
  return new Uint8Array(await res.arrayBuffer());
}

/** UTF-8 text (a tokenizer.json): the page's own assets, decoded leniently. */
export const fetchText = async (url: string, what: string): Promise<string> => new TextDecoder().decode(await fetchBytes(url, what));

/** JSON (a tokenizer file), refused with a message that names it. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelLoadError('bad-tokenizer', `The ${what} is not valid JSON.`);
  }
}
