import { defineConfig } from 'vitest/config';

// Three kinds of tests, one command (`npm test`): unit (Node), gpu (real WebGPU: Dawn on
// SwiftShader's Vulkan in Node), e2e (the built app in Debian's Chromium).
export default defineConfig({
  test: {
    projects: [
      {
        // 30 s, not vitest's 5 s: a few unit tests (all 65,536 halves, ONNX round trips) take 1-2 s alone and
        // were seen past 5 s on a loaded 2-core machine. Speed is measured by benchmarks, not here.
        // maxWorkers 100%: a worker per core. Vitest's default keeps one core for itself (cores - 1),
        // which on CI's 2 cores ran the unit files one at a time while the second core idled.
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          maxWorkers: '100%',
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // A process per file (Dawn's native device). SwiftShader compiles and runs a file's kernels
          // on one thread (kernels-f16-weights: 85% of its CPU on the main thread), so these files
          // run a worker per core; with the unit project's maxWorkers they share one group with it.
          pool: 'forks',
          maxWorkers: '100%',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // A worker per core, in one group with unit and gpu (same maxWorkers; vitest sorts the group
          // by project name, so the e2e files start first, two at a time, and the short unit files
          // fill the end). Alone, a file's Chromium kept 1.0-1.8 of 2 cores busy (1.39 on average
          // over the 14 files, docs/testing.md): one at a time after the others they left ~0.6 core
          // idle for ~560 s on CI. Each file launches its own browser (own profile, IndexedDB,
          // workers) against the shared preview server; waits are bounds for a loaded machine.
          maxWorkers: '100%',
        },
      },
    ],
  },
});
