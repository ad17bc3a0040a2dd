// The layers of docs/architecture.md, checked on the source: who may import whom, and no import
// circle (type-only imports count too: a circle of types is still two modules that cannot be
// understood apart). Imports are read with TypeScript's own pre-processor, .svelte files by
// their <script> blocks.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  let text = readFileSync(file, 'utf8');
  if (file.endsWith('.svelte')) {
    text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  }
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The project file an import names (relative specifiers only; ?raw WGSL and packages are not modules here). */
function resolveImport(from: string, spec: string, files: Set<string>): string | null {
  if (!spec.startsWith('.') || spec.includes('?')) return null;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) if (files.has(candidate)) return candidate;
  return null;
}

const files = sourceFiles(SRC);
const known = new Set(files);
const graph = new Map(files.map((f) => [f, importsOf(f).flatMap((s) => resolveImport(f, s, known) ?? [])] as const));
const rel = (f: string) => relative(SRC, f);
const layer = (f: string) => rel(f).split('/')[0];

/** What each layer may import (besides itself), as docs/architecture.md draws it. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  eval: ['core'],
  gpu: ['core'],
  lab: ['core', 'eval', 'gpu'],
  workers: ['core', 'eval', 'gpu', 'lab'],
  cli: ['core', 'eval', 'gpu', 'lab'],
  ui: ['core', 'eval', 'gpu', 'lab', 'workers'],
  'main.ts': ['ui'],
};

describe('architecture', () => {
  it('reads the whole source tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(join(SRC, 'lab/prune-session.ts'))?.map(rel)).toContain('core/pruning/index.ts');
  });

  it('no layer imports one above it', () => {
    const wrong: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const a = layer(from);
        const b = layer(to);
        if (a !== b && !(ALLOWED[a] ?? []).includes(b)) wrong.push(`${rel(from)} -> ${rel(to)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...path.slice(path.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const to of graph.get(f) ?? []) visit(to, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });

  it('keeps every worker file thin: one lab/ service exposed through the generic endpoint', () => {
    const workerFiles = files.filter((f) => rel(f).startsWith('workers/') && f.endsWith('.worker.ts'));
    expect(workerFiles.length).toBeGreaterThanOrEqual(9);
    const fat: string[] = [];
    for (const f of workerFiles) {
      const text = readFileSync(f, 'utf8');
      const lines = text.trimEnd().split('\n').length;
      const exposes = text.match(/\bexposeService\(/g)?.length ?? 0;
      // Value imports (type-only ones carry no logic): lab/ services, the endpoint, the life
      // lock, onnxruntime's set-up of the worker's own global scope, and the nested workers a
      // worker starts (the reconstruction's shards).
      const values = [...text.matchAll(/^import (?!type\b)[^;]*? from '([^']+)';/gms)].map((m) => m[1]);
      const allowed = ['./endpoint', './life-lock', '../eval/ort-session', './recover-shards'];
      const foreign = values.filter((v) => !/^\.\.\/lab\//.test(v) && !allowed.includes(v));
      if (lines > 30 || exposes !== 1 || foreign.length)
        fat.push(`${rel(f)}: ${lines} lines, exposeService x${exposes}, imports ${foreign.join(', ') || 'ok'}`);
    }
    expect(fat).toEqual([]);
  });
});
