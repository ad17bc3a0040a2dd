// The linear kernels' variants an adapter gets, in words, for the GPU panel: the same rules
// dense-linear.ts, hp-linear.ts and subgroup-variant.ts apply when they choose.
import type { GpuCapabilities } from '../adapter';
import { denseTilesFor } from './dense-tiles';
import { HP_SUBGROUP_MIN_LANES } from './subgroup-rules';

type VariantCaps = Pick<GpuCapabilities, 'isFallbackAdapter' | 'hasSubgroups' | 'subgroupMinSize' | 'subgroupMaxSize' | 'hasF16'>;

export function describeKernelVariants(caps: VariantCaps): string[] {
  const lines = [`f32 register tiles up to ${denseTilesFor(caps)[0].name}${caps.isFallbackAdapter ? ' (software adapter)' : ''}`];
  if (caps.hasSubgroups) {
    const { subgroupMinSize: min, subgroupMaxSize: max } = caps;
    const lanes = min ? `${min === max || !max ? min : `${min}–${max}`} lanes` : 'width unknown';
    const hp = (min ?? 0) >= HP_SUBGROUP_MIN_LANES;
    lines.push(`subgroups (${lanes}): few-token ${hp ? 'dense and HP variants' : `dense variant (HP's needs ${HP_SUBGROUP_MIN_LANES}+ lanes)`}`);
  } else {
    lines.push('no subgroups: tiled kernels at every token count');
  }
  lines.push('f16 weights optional (half the memory, f32 math)');
  if (caps.hasF16) lines.push('shader-f16 present but unused (no f16-math variant)');
  return lines;
}
