// No line over 120 characters in the source, the tests and the scripts (Prettier's printWidth,
// also where Prettier does not reach: text inside Svelte markup, WGSL, Python, shell). Data files
// (JSON, JSONL, CSV: generated, kept as written) are not code and are left out.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const MAX = 120;
const CODE = /\.(ts|mts|mjs|js|svelte|css|html|wgsl|py|sh)$/;

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === '__pycache__') return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return codeFiles(path);
    return CODE.test(e.name) ? [path] : [];
  });
}

/** `file:line (length)` for every line longer than MAX characters (code points, as an editor counts). */
function longLines(files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => {
        const length = [...line].length;
        return length > MAX ? [`${relative(ROOT, file)}:${i + 1} (${length})`] : [];
      }),
  );
}

describe('line length', () => {
  const files = ['src', 'tests', 'scripts'].flatMap((d) => codeFiles(join(ROOT, d)));

  it('reads the code of src, tests and scripts', () => {
    const names = files.map((f) => relative(ROOT, f));
    expect(names).toContain('src/ui/App.svelte');
    expect(names).toContain('tests/unit/line-length.test.ts');
    expect(names.some((f) => f.startsWith('scripts/') && f.endsWith('.py'))).toBe(true);
    expect(names.some((f) => f.endsWith('.wgsl'))).toBe(true);
  });

  it(`has no line over ${MAX} characters`, () => {
    expect(longLines(files)).toEqual([]);
  });
});
