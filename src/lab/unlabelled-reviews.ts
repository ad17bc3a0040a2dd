// Unlabelled review sentences for distillation, one loader for the CLI (`finetune --unlabelled`)
// and the page's fine-tuning worker: full reviews, gzip or plain, one per line (or JSON lines with
// a text field), cut into sentences by the core rule (core/data/review-sentences), none of them an
// evaluation sentence. The page's copy: public/data/reviews.txt.gz (scripts/data/split.mjs).
import { reviewSentences } from '../core/data/review-sentences';

/** The page's file, relative to the site root. */
export const REVIEWS_URL = 'data/reviews.txt.gz';

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** gzip bytes inflated by the platform's DecompressionStream (browsers, workers and Node). */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new RangeError(`${name} is not a valid gzip file (${(err as Error).message})`, { cause: err });
  }
}

/** The review texts of a file's text: JSON lines with a text field, or one text per line. */
export function reviewTexts(text: string, name: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      if (!l.startsWith('{')) return l;
      let t: unknown;
      try {
        t = (JSON.parse(l) as { text?: unknown }).text;
      } catch {
        throw new RangeError(`${name}: line ${i + 1} is not valid JSON`);
      }
      if (typeof t !== 'string') throw new RangeError(`${name}: line ${i + 1} has no text field`);
      return t;
    });
}

/** The sentences of the reviews in `bytes` (gzip or not), none in `exclude`, the first `limit`. */
export async function unlabelledSentences(
  bytes: Uint8Array,
  name: string,
  exclude: Iterable<string>,
  limit?: number,
): Promise<string[]> {
  const raw = isGzip(bytes) ? await gunzip(bytes, name) : bytes;
  const out = reviewSentences(reviewTexts(new TextDecoder().decode(raw), name), exclude);
  if (out.length === 0) throw new RangeError(`${name}: no sentences of 4-60 words found`);
  return limit === undefined ? out : out.slice(0, limit);
}
