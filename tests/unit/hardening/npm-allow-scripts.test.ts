// `npm install` is quiet and correct on npm 11 (issue 17): every dependency the lockfile marks
// with an install script is named in package.json's allowScripts (npm >= 11.16 lists the ones
// that are not as "not reviewed"; npm 12 will not run them), so a newcomer sees no advisory and
// the scripts that are needed (esbuild's binary, Dawn's for the GPU tests) run.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

test('every dependency with an install script is allowed or denied in allowScripts', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  expect(withScripts.length).toBeGreaterThan(0);
  const allow = pkg.allowScripts ?? {};
  expect(withScripts.filter((name) => typeof allow[name] !== 'boolean')).toEqual([]);
  // The ones the project needs run.
  expect(allow.esbuild).toBe(true);
  expect(allow.webgpu).toBe(true);
});
