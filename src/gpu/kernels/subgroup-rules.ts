// When the few-token subgroup variants (subgroup-variant.ts) run: pure constants, shared by the
// runners and the page's description of the kernels.

/** The tile name reports and `tile` options use for these variants. */
export const SUBGROUP_TILE = 'subgroup';
/** Largest token count the automatic choice sends to each kernel's subgroup variant, from the
 *  H200 crossovers (BENCHMARKS.md, Kernels: few tokens). Dense: up to `dense` tokens, and up
 *  to `denseNarrow` when out <= in (few outputs leave the tiled kernel few workgroups; at 128
 *  tokens the subgroup variant won on 1200->312 and 312->312 and lost 8 % on 312->1200).
 *  HP's lanes split the Q = m*k kept columns of a tile-row, so it pays up to `hp` tokens only
 *  when Q fills two subgroups of 32 (Q >= HP_SUBGROUP_MIN_KEPT), up to `hpFewKept` otherwise. */
export const SUBGROUP_MAX_TOKENS = { dense: 64, denseNarrow: 128, hp: 128, hpFewKept: 4 } as const;
export const HP_SUBGROUP_MIN_KEPT = 64;
/** HP's variant also wants wide subgroups (adapter's subgroupMinSize): on SwiftShader's 4-lane
 *  subgroups it ran 1.7-1.9x slower than the tiled kernel at 32 and 128 tokens, while on the
 *  H200's 32 lanes it was up to 2.2x faster. The dense variant won on both. */
export const HP_SUBGROUP_MIN_LANES = 16;
