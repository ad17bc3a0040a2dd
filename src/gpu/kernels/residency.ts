// hp-lab bench residency's kernel (residency.wgsl): how many workgroups of a shape (invocations,
// workgroup memory, values kept live) an SM holds at once, counted with atomics. The engine's and
// the int8 tiles' designs turn on that figure (one 512-invocation tile an SM, or two; whether
// workgroup memory or registers caps the attention), which timings could only suggest.
import residencyWgsl from './residency.wgsl?raw';
import { bindingLayout, compilePipeline, type KernelLayout } from '../kernel';
import { expandWgsl } from './wgsl-template';

export interface ResidencyShape {
  /** Invocations a workgroup. */
  threads: number;
  /** Workgroup memory in bytes (a multiple of 4; at least 4). */
  storage: number;
  /** Values each invocation keeps live through the loop (registers, if the compiler keeps them). */
  live: number;
}

/** 't256-s14336-r64': the shape's name on the command line and in results. */
export function residencyName(s: ResidencyShape): string {
  return `t${s.threads}-s${s.storage}-r${s.live}`;
}

export function parseResidencyShape(name: string): ResidencyShape {
  const m = /^t(\d+)-s(\d+)-r(\d+)$/.exec(name.trim());
  if (!m) throw new Error(`a residency shape is tTHREADS-sBYTES-rLIVE (e.g. t256-s14336-r64), got '${name}'`);
  const [threads, storage, live] = m.slice(1).map(Number);
  if (threads < 1 || storage % 4 !== 0 || live > 256)
    throw new Error(`residency shape '${name}': threads >= 1, bytes a multiple of 4, live <= 256`);
  return { threads, storage: Math.max(4, storage), live };
}

/** The shapes timed by default: a calibration (tiny workgroups: the per-SM workgroup cap), the
 *  invocation caps, workgroup memory alone (the carve-out), live values alone (registers), and
 *  the engine's own kernels' shapes (the attention's h kernel, the int8 512-invocation tile). */
export const DEFAULT_RESIDENCY_SHAPES: readonly string[] = [
  't32-s4-r0',
  't128-s4-r0',
  't256-s4-r0',
  't512-s4-r0',
  't1024-s4-r0',
  ...[8192, 12288, 16384, 20480, 24576, 32768, 40960, 49152].map((b) => `t128-s${b}-r0`),
  ...[16, 32, 48, 64, 80, 96, 112, 128].map((r) => `t256-s4-r${r}`),
  ...[32, 64, 96, 128].map((r) => `t512-s4-r${r}`),
  't256-s24576-r0',
  't256-s49152-r0',
  't256-s14644-r48',
  't256-s14644-r80',
  't512-s34816-r64',
  't256-s20480-r64',
];

export function residencyLayout(device: GPUDevice): KernelLayout {
  return bindingLayout(device, 'residency', ['uniform', 'write', 'write']);
}

export function residencyPipeline(device: GPUDevice, s: ResidencyShape): GPUComputePipeline {
  const values = { THREADS: s.threads, WORDS: Math.max(1, s.storage / 4), LIVE: s.live };
  return compilePipeline(
    device,
    residencyLayout(device),
    `residency ${residencyName(s)}`,
    expandWgsl(residencyWgsl, values),
  );
}

/** What invocation g writes, replayed (u32 arithmetic as WGSL's). `held` is the word it reads
 *  from workgroup memory: (g * 7 % words) ^ seed. */
export function expectedResidencyWord(s: ResidencyShape, g: number, spin: number, seed: number): number {
  const words = Math.max(1, s.storage / 4);
  let x = ((((Math.imul(g, 7) >>> 0) % words) ^ seed) + g) >>> 0;
  const r = Array.from({ length: s.live }, (_, i) => (x + i) >>> 0);
  for (let it = 0; it < spin; it++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    for (let i = 0; i < s.live; i++) r[i] = Math.imul((r[i] ^ x) >>> 0, 2654435761 | 0) >>> 0;
  }
  let out = x;
  for (let i = 0; i < s.live; i++) out = (Math.imul(out, 31) + r[i]) >>> 0;
  return out >>> 0;
}
