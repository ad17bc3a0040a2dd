// Builds the app once and serves the static build with Vite's preview server (which sends the
// COOP/COEP headers) for every e2e file.
import type { TestProject } from 'vitest/node';
import { build, preview, type PreviewServer } from 'vite';

let server: PreviewServer | undefined;

export default async function setup(project: TestProject) {
  if (!process.env.HP_LAB_E2E_SKIP_BUILD) {
    // The build visitors get: vitest sets NODE_ENV=test, under which Svelte compiles in dev mode
    // (component stacks, file names, runtime checks: a slower page than `npm run build` makes).
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ logLevel: 'warn' });
    } finally {
      process.env.NODE_ENV = env;
    }
  }
  server = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  project.provide('baseUrl', url);
  return async () => {
    await server?.close();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
