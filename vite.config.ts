import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { cspMetaTag, SERVER_SECURITY_HEADERS } from './scripts/vite/security.ts';
import { binaryTypes } from './scripts/vite/binary-types.ts';

// onnxruntime-web's threaded wasm needs SharedArrayBuffer, which needs cross-origin isolation.
// The dev and preview servers send these; a static host should too (README), else the app runs
// ORT single-threaded.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  ...SERVER_SECURITY_HEADERS,
};

export default defineConfig({
  // Relative asset URLs: the build works from any base path on any static server.
  base: './',
  plugins: [svelte(), cspMetaTag(), binaryTypes()],
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
});
