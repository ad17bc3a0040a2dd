// Bundles the CLI (src/cli/main.ts) into one ES module with esbuild: the same build runs
// `npx hp-lab` from a clone (bin/hp-lab.mjs) and makes the file copied to a GPU host.
// `?raw` imports (WGSL beside its runner) become strings, as under Vite.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const rawPlugin = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -4)),
      namespace: 'raw',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

/** Builds to `outfile`; `external` packages stay imports (webgpu's native addon must). */
export async function buildCli(outfile, { external = ['webgpu'], minify = false } = {}) {
  await build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // onnxruntime-web's wasm-only build is for browsers without WebGPU (eval/ort-session.ts
    // loadOrt); Node never loads it.
    external: [...external, 'onnxruntime-web/wasm'],
    minify,
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [rawPlugin],
    // Bundled CommonJS dependencies may call require(): give ESM output one.
    banner: {
      js:
        "import { createRequire as __hpCreateRequire } from 'node:module'; " +
        'const require = __hpCreateRequire(import.meta.url);',
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? path.join(root, 'dist-cli/hp-lab.mjs');
  await buildCli(out, { external: ['webgpu'] });
  console.log(`built ${path.relative(process.cwd(), out)}`);
}
