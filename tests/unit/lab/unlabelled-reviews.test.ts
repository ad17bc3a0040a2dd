import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { reviewSentences } from '../../../src/core/data/review-sentences';
import { reviewTexts, unlabelledSentences } from '../../../src/lab/unlabelled-reviews';

const reviews = [
  'the film is long and slow . but the cast is good ! a dull plot , sadly .',
  'short one . this movie made me laugh out loud . the film is long and slow .',
];
const enc = (s: string) => new TextEncoder().encode(s);

describe('unlabelled review sentences (CLI --unlabelled and the page worker)', () => {
  it('gzip and plain text give the core rule: 4-60 words, no duplicates, no evaluation sentence', async () => {
    const exclude = ['but the cast is good !'];
    const plain = await unlabelledSentences(enc(reviews.join('\n')), 'r.txt', exclude);
    expect(plain).toEqual([
      'the film is long and slow .',
      'a dull plot , sadly .',
      'this movie made me laugh out loud .',
    ]);
    expect(plain).toEqual(reviewSentences(reviews, exclude));
    const gz = await unlabelledSentences(new Uint8Array(gzipSync(reviews.join('\n') + '\n')), 'r.txt.gz', exclude, 2);
    expect(gz).toEqual(plain.slice(0, 2));
  });

  it('reads JSON lines and names the bad line; refuses broken gzip and empty files', async () => {
    expect(reviewTexts(`${JSON.stringify({ text: 'a b c d .', label: 1 })}\nplain line`, 'f')).toEqual([
      'a b c d .',
      'plain line',
    ]);
    expect(() => reviewTexts('ok\n{"label": 1}', 'f.jsonl')).toThrow('f.jsonl: line 2 has no text field');
    const broken = new Uint8Array(gzipSync('the film is long and slow .')).slice(0, 12);
    await expect(unlabelledSentences(broken, 'bad.gz', [])).rejects.toThrow('bad.gz is not a valid gzip file');
    await expect(unlabelledSentences(enc('too short .'), 'short.txt', [])).rejects.toThrow('no sentences');
  });
});
