// A kernel speedup above 1/density cannot come from skipping work alone (HP at density d does
// d of the dense multiply-adds). When the table shows one, say so and why it happens, instead
// of letting it read as a real GPU result.
export interface SpeedupCase {
  name: string;
  density: number;
  speedup: number;
}

export interface AdapterTiming {
  /** The adapter marks itself as a fallback (software: SwiftShader, WARP, llvmpipe). */
  software: boolean;
  timestampQuery: boolean;
}

/** Cases whose speedup exceeds the density bound (5% slack for timing noise). */
export function aboveDensityBound(cases: SpeedupCase[]): SpeedupCase[] {
  return cases.filter((c) => c.density > 0 && c.speedup > 1.05 / c.density);
}

export function speedupNote(cases: SpeedupCase[], adapter: AdapterTiming): string | null {
  const above = aboveDensityBound(cases);
  if (!above.length) return null;
  const list = above
    .map((c) => `${c.name} ${c.speedup.toFixed(1)}× ` + `(bound ${(1 / c.density).toFixed(1)}×)`)
    .join(', ');
  const why = adapter.software
    ? 'This is a software adapter: the shaders run on the CPU, ' +
      'where the dense kernel also pays for cache misses that the much smaller HP working set avoids'
    : 'Memory traffic, not arithmetic, limits these shapes here: ' +
      'the HP kernel reads a fraction of the weights, so it can win by more than the work it skips';
  const timing = adapter.timestampQuery
    ? ''
    : ', and without timestamp queries small kernels are timed by wall clock over batched submissions, ' +
      'a coarse resolution';
  return (
    `Above the density bound: ${list}. Skipping work alone allows at most 1/density. ${why}${timing}. ` +
    `The whole-model time ("Run the whole pruned model") adds attention, layer norms and HP's index reads, ` +
    `so on the same adapter it can be slower with HP: trust it over these per-kernel ratios.`
  );
}
