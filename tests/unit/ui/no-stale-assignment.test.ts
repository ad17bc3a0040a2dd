// Svelte's dev build warns `assignment_value_stale` at run time when the VALUE of an assignment
// to a state proxy's property is used (e.g. an arrow `(s) => (store.x = s)` returns it): the
// compiler marks every such site with `$.assign(...)`. None may be left in the UI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compile, compileModule } from 'svelte/compiler';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.svelte(\.ts)?$/.test(name) ? [p] : [];
  });
}

function devCode(file: string): string {
  const source = readFileSync(file, 'utf8');
  if (file.endsWith('.svelte')) return compile(source, { filename: file, dev: true }).js.code;
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
  }).outputText;
  return compileModule(js, { filename: file, dev: true }).js.code;
}

describe('Svelte UI: no assignment whose value is used (assignment_value_stale)', () => {
  const all = files(path.resolve('src/ui'));
  it('finds the UI files', () => expect(all.length).toBeGreaterThan(10));
  it.each(all.map((f) => [path.relative(process.cwd(), f)]))('%s', (file) => {
    expect(devCode(file).match(/\$\.assign\w*\(/g) ?? []).toEqual([]);
  });
});
