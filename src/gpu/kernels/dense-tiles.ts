// The dense kernel's register-tile configs and the rule that picks one per call: pure (no
// WGSL, no GPU calls), so the page can describe the choice without loading the kernels.
import type { GpuCapabilities } from '../adapter';

/** Threads wx x wy; each computes (4*rm) x (4*rn) outputs; bk = K-step. */
export interface DenseTileConfig {
  name: string;
  wx: number;
  wy: number;
  rm: number;
  rn: number;
  bk: number;
}

/** From the largest register tile down; the first that yields enough workgroups is used. */
export const DENSE_TILES: readonly DenseTileConfig[] = [
  { name: '128x128', wx: 16, wy: 16, rm: 2, rn: 2, bk: 16 },
  { name: '128x64', wx: 16, wy: 16, rm: 2, rn: 1, bk: 16 },
  { name: '64x64', wx: 16, wy: 16, rm: 1, rn: 1, bk: 16 },
  { name: '32x64', wx: 16, wy: 8, rm: 1, rn: 1, bk: 16 },
];

/** The largest register tile that still yields this many workgroups is used. On the H200 (132
 *  SMs) 256 left the TinyBERT FFN shapes on 128x128 tiles in 2.4 waves, 16 % slower than
 *  64x64; 1024 picks the fastest measured tile for every shape in BENCHMARKS.md (Kernels) and
 *  still gives 4096³ its 128x128 tiles. WebGPU does not expose the GPU's size, so one number. */
const MIN_WORKGROUPS = 1024;

export function denseTileStorage(c: DenseTileConfig): number {
  return (c.bk * (c.wy * 4 * c.rm) + c.bk * (c.wx * 4 * c.rn)) * 4;
}

function fits(limits: GPUSupportedLimits, c: DenseTileConfig): boolean {
  return c.wx * c.wy <= limits.maxComputeInvocationsPerWorkgroup && c.wx <= limits.maxComputeWorkgroupSizeX && c.wy <= limits.maxComputeWorkgroupSizeY && denseTileStorage(c) <= limits.maxComputeWorkgroupStorageSize;
}

/** Register tiles worth compiling on this adapter. Software adapters (SwiftShader) get none
 *  above 64x64: their shader compiler takes many seconds on the 128-wide unrolled tiles and can
 *  crash the GPU process on them, and a CPU gains nothing from GPU-sized register tiles. */
export function denseTilesFor(caps: Pick<GpuCapabilities, 'isFallbackAdapter'>): readonly DenseTileConfig[] {
  return caps.isFallbackAdapter ? DENSE_TILES.filter((c) => c.wy * 4 * c.rm <= 64) : DENSE_TILES;
}

export function pickDenseTile(limits: GPUSupportedLimits, tokens: number, nOut: number, forced?: string, tiles: readonly DenseTileConfig[] = DENSE_TILES): DenseTileConfig {
  const usable = tiles.filter((c) => fits(limits, c));
  if (forced) {
    const c = DENSE_TILES.find((t) => t.name === forced);
    if (!c) throw new RangeError(`unknown dense tile '${forced}' (have ${DENSE_TILES.map((t) => t.name).join(', ')})`);
    if (!tiles.includes(c)) throw new RangeError(`dense tile '${forced}' is not used on this adapter (software adapters: ${tiles.map((t) => t.name).join(', ')})`);
    if (!fits(limits, c)) throw new RangeError(`dense tile '${forced}' exceeds this device's workgroup limits`);
    return c;
  }
  if (usable.length === 0) throw new RangeError('no dense tile config fits this device (maxComputeInvocationsPerWorkgroup < 128?)');
  for (const c of usable) {
    const groups = Math.ceil(tokens / (c.wy * 4 * c.rm)) * Math.ceil(nOut / (c.wx * 4 * c.rn));
    if (groups >= MIN_WORKGROUPS) return c;
  }
  return usable[usable.length - 1];
}
