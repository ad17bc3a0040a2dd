#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli/main.ts) through tsx, so `npx hp-lab …` works from a clone
// without a build step. `npm run build:cli` makes the one-file bundle for GPU hosts.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
