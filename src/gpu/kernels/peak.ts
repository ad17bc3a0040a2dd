// Throughput ceilings of this adapter through WebGPU (hp-lab bench peak; issue 15): the
// subgroup-matrix multiply-accumulate alone (peak-mma.wgsl: the tensor cores, for each i8/u8
// configuration the adapter offers), with the fragments reloaded from workgroup memory every
// step (the int8 tiles' inner loop without its staging), dot4I8Packed / dot4U8Packed and f32 fma
// chains (peak-alu.wgsl). Each kernel's output is exactly predictable (expected*), so a run
// both times the rate and shows that the work was done.
import peakMmaWgsl from './peak-mma.wgsl?raw';
import peakAluWgsl from './peak-alu.wgsl?raw';
import { compilePipeline, type KernelLayout } from '../kernel';
import { expandWgsl } from './wgsl-template';
import { hoistDirectives, kernelLayout } from './linear-common';
import type { SubgroupMatrixConfig } from '../adapter';

/** How an MMA kernel gets its fragments each step: registers (loaded once), flat workgroup
 *  memory at a run-time offset, or banded workgroup memory (constant offsets, band by index). */
export type MmaOperands = 'reg' | 'lds' | 'ldsb';

export interface MmaPeak {
  kind: 'mma';
  /** i8 or u8 codes (i32 / u32 results). */
  component: 'i8' | 'u8';
  m: number;
  n: number;
  k: number;
  /** Left / right fragments per subgroup (FA x FB independent accumulators). */
  fa: number;
  fb: number;
  operands: MmaOperands;
}
export interface AluPeak {
  kind: 'dot4-i8' | 'dot4-u8' | 'fma-f32';
  /** Independent chains per invocation. */
  nacc: number;
}
export type PeakKernel = MmaPeak | AluPeak;

/** Steps written out per loop iteration (the loop's own compare and branch amortised). */
export const PEAK_UNROLL = 4;
const SUBGROUPS = 4; // subgroups a workgroup (MMA)
const ALU_THREADS = 256;

export function peakName(p: PeakKernel): string {
  if (p.kind !== 'mma') return `${p.kind}-x${p.nacc}`;
  return `mma-${p.component}-${p.m}x${p.n}x${p.k}-${p.fa}x${p.fb}${p.operands === 'reg' ? '' : `-${p.operands}`}`;
}

/** Multiply-adds x 2 of one dispatch (a dot4 step is four multiply-adds; an fma one). */
export function peakOps(p: PeakKernel, workgroups: number, iters: number): number {
  const steps = iters * PEAK_UNROLL;
  if (p.kind === 'mma') return workgroups * SUBGROUPS * p.fa * p.fb * steps * 2 * p.m * p.n * p.k;
  return workgroups * ALU_THREADS * p.nacc * steps * (p.kind === 'fma-f32' ? 2 : 8);
}

/** Words the kernel writes (y's length). */
export function peakOutputWords(p: PeakKernel, workgroups: number): number {
  return p.kind === 'mma' ? workgroups * SUBGROUPS * p.m * p.n : workgroups * ALU_THREADS;
}

/** Workgroup memory (bytes) of an MMA kernel. */
export function peakMmaStorage(p: MmaPeak): number {
  const aw = (p.m * p.k) / 4,
    bw = (p.n * p.k) / 4,
    mn = p.m * p.n;
  if (p.operands === 'ldsb') return 4 * Math.max(aw, bw, mn) * Math.max(2 * (p.fa + p.fb), 2 * SUBGROUPS);
  return 4 * Math.max(2 * (p.fa * aw + p.fb * bw), 2 * SUBGROUPS * mn);
}

/** The MMA kernels to time for these configurations: every accumulator layout in registers for
 *  each i8 / u8 configuration, and the int8 tiles' layouts (2 x 2, 4 x 2) with loads from
 *  workgroup memory (flat and banded) for each i8 one. */
export function mmaPeaks(configs: readonly SubgroupMatrixConfig[]): MmaPeak[] {
  const out: MmaPeak[] = [];
  for (const c of configs) {
    if ((c.componentType !== 'i8' && c.componentType !== 'u8') || c.K % 4 !== 0) continue;
    const component: MmaPeak['component'] = c.componentType;
    const base = { kind: 'mma' as const, component, m: c.M, n: c.N, k: c.K };
    for (const [fa, fb] of [
      [1, 1],
      [2, 1],
      [2, 2],
      [4, 2],
      [4, 4],
    ])
      out.push({ ...base, fa, fb, operands: 'reg' });
    if (component === 'i8')
      for (const operands of ['lds', 'ldsb'] as const)
        for (const [fa, fb] of [
          [2, 2],
          [4, 2],
        ])
          out.push({ ...base, fa, fb, operands });
  }
  return out;
}

export const ALU_PEAKS: readonly AluPeak[] = [
  { kind: 'dot4-i8', nacc: 4 },
  { kind: 'dot4-i8', nacc: 8 },
  { kind: 'dot4-i8', nacc: 16 },
  { kind: 'dot4-u8', nacc: 8 },
  { kind: 'fma-f32', nacc: 4 },
  { kind: 'fma-f32', nacc: 8 },
  { kind: 'fma-f32', nacc: 16 },
];

export function peakLayout(device: GPUDevice): KernelLayout {
  return kernelLayout(device, 'peak', 2);
}

/** The kernel's pipeline (sg: the subgroup size the MMA workgroups are built for). */
export function peakPipeline(device: GPUDevice, p: PeakKernel, sg: number): GPUComputePipeline {
  const layout = peakLayout(device);
  if (p.kind === 'mma') {
    const wt = p.component === 'i8' ? 'i32' : 'u32';
    const values = {
      ...{ SG: sg, SUBGROUPS, M: p.m, N: p.n, K: p.k, FA: p.fa, FB: p.fb, UNR: PEAK_UNROLL },
      ...{ CT: p.component, RT: wt, WT: wt, LDS: p.operands !== 'reg', BAND: p.operands === 'ldsb' },
    };
    return compilePipeline(device, layout, `peak ${peakName(p)}`, expandWgsl(hoistDirectives(peakMmaWgsl), values));
  }
  const values = {
    ...{ THREADS: ALU_THREADS, NACC: p.nacc, UNR: PEAK_UNROLL, FMA: p.kind === 'fma-f32' },
    ...{ AT: p.kind === 'dot4-u8' ? 'u32' : 'i32', DOT: p.kind === 'dot4-u8' ? 'dot4U8Packed' : 'dot4I8Packed' },
  };
  return compilePipeline(device, layout, `peak ${peakName(p)}`, expandWgsl(peakAluWgsl, values));
}

/** The uniform's four words: iters, the dot4 operand b, fma's m = 1 and c = 1. */
export function peakParams(iters: number, b: number): Uint32Array {
  const u = new Uint32Array(4);
  const f = new Float32Array(u.buffer);
  u[0] = iters;
  u[1] = b >>> 0;
  f[2] = 1;
  f[3] = 1;
  return u;
}

/** Random MMA operands (FA left then FB right fragments, four codes a word) small enough that no
 *  sum overflows: codes in [-3, 3] (i8) or [0, 3] (u8). */
export function mmaOperands(p: MmaPeak, rand: () => number): Uint32Array {
  const codes = new Uint8Array(p.fa * p.m * p.k + p.fb * p.n * p.k);
  for (let i = 0; i < codes.length; i++) {
    const v = Math.floor(rand() * (p.component === 'i8' ? 7 : 4)) - (p.component === 'i8' ? 3 : 0);
    codes[i] = v & 255;
  }
  return new Uint32Array(codes.buffer);
}

/** Longest loop the MMA check can count without wrapping i32. */
export function mmaMaxIters(p: MmaPeak): number {
  return Math.floor((2 ** 31 - 1) / (PEAK_UNROLL * p.fa * p.fb * p.k * 9));
}

/** Every subgroup's strip: iters x UNR x sum over (I, J) of A_I B_J (M x N, row-major). A_I is
 *  M x K row-major, B_J is N x K row-major (its K x N right operand read column-major). */
export function expectedMma(p: MmaPeak, operands: Uint32Array, iters: number): Int32Array | Uint32Array {
  const codes = new Uint8Array(operands.buffer, operands.byteOffset, operands.byteLength);
  const code = (i: number) => (p.component === 'i8' ? (codes[i] << 24) >> 24 : codes[i]);
  const sum = new Float64Array(p.m * p.n);
  const bBase = p.fa * p.m * p.k;
  for (let a = 0; a < p.fa; a++)
    for (let b = 0; b < p.fb; b++)
      for (let r = 0; r < p.m; r++)
        for (let c = 0; c < p.n; c++) {
          let s = 0;
          for (let k = 0; k < p.k; k++)
            s += code(a * p.m * p.k + r * p.k + k) * code(bBase + b * p.n * p.k + c * p.k + k);
          sum[r * p.n + c] += s;
        }
  const steps = iters * PEAK_UNROLL;
  return p.component === 'i8' ? Int32Array.from(sum, (v) => v * steps) : Uint32Array.from(sum, (v) => v * steps);
}

const sbyte = (w: number, i: number) => ((w << (24 - 8 * i)) >> 24) | 0;
const ubyte = (w: number, i: number) => (w >>> (8 * i)) & 255;

/** What invocation g of an ALU kernel writes (as the u32 word), replayed on the CPU. */
export function expectedAlu(p: AluPeak, g: number, iters: number, b: number): number {
  const steps = iters * PEAK_UNROLL;
  if (p.kind === 'fma-f32') {
    let s = 0;
    for (let i = 0; i < p.nacc; i++) s = Math.fround(s + Math.fround((g % 1024) + i + steps));
    return new Uint32Array(new Float32Array([s]).buffer)[0];
  }
  const signed = p.kind === 'dot4-i8';
  const byte = signed ? sbyte : ubyte;
  let s = 0;
  for (let i = 0; i < p.nacc; i++) {
    const bi = (b + Math.imul(i, 0x01030507)) | 0;
    let acc = (Math.imul(g, p.nacc) + i) | 0;
    for (let t = 0; t < steps; t++) {
      let d = 0;
      for (let j = 0; j < 4; j++) d += byte(acc, j) * byte(bi, j);
      acc = (acc + d) | 0;
    }
    s = (s + acc) | 0;
  }
  return s >>> 0;
}
