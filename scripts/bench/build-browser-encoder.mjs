// Builds the browser benchmark (scripts/bench/browser-encoder: the engine and onnxruntime-web's
// WebGPU EP timed by a page) into one folder that run.sh serves: index.html, main.js, ORT's
// WebGPU wasm files under ort/, serve.py and run.sh. Usage: node scripts/bench/build-browser-encoder.mjs [OUTDIR]
// (default .browser-bench). The page fetches the model from /public/models/, so serve.py serves
// the project root and this folder under /bench/.
import { build } from 'esbuild';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawPlugin } from '../build-cli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'scripts/bench/browser-encoder');
const out = path.resolve(process.argv[2] ?? path.join(root, '.browser-bench'));
// The files onnxruntime-web/webgpu loads at run time (the same as under Node: eval/ort-webgpu-node.ts).
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

await mkdir(path.join(out, 'ort'), { recursive: true });
await build({
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(out, 'main.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'chrome120',
  minify: true,
  logLevel: 'warning',
  plugins: [rawPlugin],
});
const ortDir = path.dirname(
  createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'),
);
for (const f of ORT_FILES) await copyFile(path.join(ortDir, f), path.join(out, 'ort', f));
for (const f of ['serve.py', 'run.sh']) await copyFile(path.join(src, f), path.join(out, f));
await writeFile(
  path.join(out, 'index.html'),
  '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>HP Lab browser benchmark</title>' +
    '<pre></pre><script type="module" src="main.js"></script>\n',
);
console.log(`built ${path.relative(process.cwd(), out)}`);
