#!/usr/bin/env node
// `npx hp-lab …` from a clone: bundles src/cli with esbuild (well under a second) into
// node_modules/.cache and runs it. Only `webgpu` (a native addon) and onnxruntime-web (its
// wasm files are found next to its package) stay external.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli } from '../scripts/build-cli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'node_modules/.cache/hp-lab/cli.mjs');
await buildCli(out, { external: ['webgpu', 'onnxruntime-web', 'onnxruntime-common'] });
await import(pathToFileURL(out).href);
