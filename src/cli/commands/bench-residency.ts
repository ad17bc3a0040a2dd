// hp-lab bench residency: how many workgroups of each shape this GPU holds at once (lab/residency-bench.ts).
import { parseFlags, numberFlag } from '../args';
import { CliError } from '../cli-error';
import { nodeGpu } from '../../gpu/node-gpu';
import { benchResidency } from '../../lab/residency-bench';
import { DEFAULT_RESIDENCY_SHAPES, parseResidencyShape } from '../../gpu/kernels/residency';

export const residencyUsage = `hp-lab bench residency [--shapes tT-sB-rR,..] [--workgroups W] [--spin N] [--units U]
  How many workgroups of each shape the GPU holds at once, counted: each workgroup of T invocations
  declares B bytes of workgroup memory and keeps R values live through a loop of N steps (default
  20000), counting itself in and out with atomics; 'resident' is the most live at once. Checked:
  every workgroup finished, sampled invocations' loop hashes replayed on the CPU. --units: the SM /
  compute-unit count (WebGPU does not report it; the H200 has 132) for workgroups a unit. Default
  shapes: tiny workgroups (the per-SM cap), 128..1024 invocations, workgroup memory alone (128
  invocations, 8-48 KiB), live values alone (256 invocations, 16-128), the engine's kernels' shapes.`;

export async function benchResidencyCmd(argv: string[]): Promise<unknown> {
  const { values: f } = parseFlags(argv, {
    shapes: { type: 'string' },
    workgroups: { type: 'string' },
    spin: { type: 'string' },
    units: { type: 'string' },
  });
  const shapes = f.shapes ? f.shapes.split(',') : [...DEFAULT_RESIDENCY_SHAPES];
  for (const s of shapes) {
    try {
      parseResidencyShape(s);
    } catch (err) {
      throw new CliError(`--shapes: ${(err as Error).message}`);
    }
  }
  const workgroups = numberFlag(f.workgroups, 'workgroups', 8192, 1, 65535, true);
  const spin = numberFlag(f.spin, 'spin', 20000, 1, 1 << 24, true);
  const units = f.units === undefined ? undefined : numberFlag(f.units, 'units', 1, 1, 4096, true);
  const gpu = await nodeGpu();
  const rows = await benchResidency(gpu, { shapes, workgroups, spin, units });
  const failed = rows.filter((r) => !r.verified);
  if (failed.length) process.stderr.write(`bench residency: not verified: ${JSON.stringify(failed)}\n`);
  return {
    adapter: gpu.caps.label,
    max_workgroup_storage: gpu.device.limits.maxComputeWorkgroupStorageSize,
    ...{ workgroups, spin, units: units ?? null },
    rows,
  };
}
