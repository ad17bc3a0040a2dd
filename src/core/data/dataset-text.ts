// The bytes of a user's dataset file as text, by the same rules in the CLI and the page: a UTF-8
// byte-order mark is dropped, UTF-16 with its mark is decoded, anything else must be valid UTF-8
// (a Latin-1 file would otherwise read with silent replacement characters), and the file size
// is capped before decoding.
import { ModelLoadError } from '../model/model-error';

/** 64 MB of text is about 500k sentences: far beyond an evaluation in a browser tab. */
export const MAX_DATASET_BYTES = 64 * 2 ** 20;

const bad = (msg: string) => new ModelLoadError('bad-dataset', msg);

/** Throws when a file of `bytes` is over the dataset size limit (check before reading it). */
export function checkDatasetSize(bytes: number, name = 'The dataset'): void {
  if (bytes > MAX_DATASET_BYTES) {
    throw bad(
      `${name} is ${(bytes / 2 ** 20).toFixed(1)} MB; ` +
        `datasets are limited to ${MAX_DATASET_BYTES / 2 ** 20} MB here. Use a sample of it.`,
    );
  }
}

/** 1-based line of byte `offset` (counting \n bytes before it). */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset where the first invalid UTF-8 sequence starts (an error path only: bisects on
 *  prefixes decoded in streaming mode, where an unfinished sequence at the end is fine). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const ok = (end: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0,
    hi = bytes.length; // ok(lo) holds, ok(hi) fails
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  // Byte hi-1 broke it; an unfinished multi-byte sequence before it is where the fault starts.
  for (let back = 1; back <= 3 && hi - 1 - back >= 0; back++) {
    const lead = bytes[hi - 1 - back];
    const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    if (len > back) return hi - 1 - back;
    if (lead < 0x80 || lead >= 0xc0) break;
  }
  return hi - 1;
}

/** The file's text, or a 'bad-dataset' error saying which encoding rule it breaks. */
export function decodeDatasetBytes(bytes: Uint8Array, name = 'The dataset'): string {
  checkDatasetSize(bytes.byteLength, name);
  const [a, b, c] = bytes;
  if (a === 0xff && b === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (a === 0xfe && b === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const body = a === 0xef && b === 0xbb && c === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw bad(
      `${name} is not UTF-8 text: byte ${at + 1} (line ${lineOf(body, at)}) is not valid UTF-8 ` +
        `(a Latin-1 or Windows-1252 file?). Save it as UTF-8.`,
    );
  }
}
