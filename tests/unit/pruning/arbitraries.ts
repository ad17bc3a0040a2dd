// fast-check generators shared by the pruning property tests. Small integer weights on purpose:
// many exact ties exercise the stable tie-breaking that mask nesting relies on.
import fc from 'fast-check';

export interface Case {
  out: number;
  in: number;
  tr: number;
  tc: number;
  weight: Float32Array;
}

export const matrixCase = (maxDim = 40, maxTile = 6): fc.Arbitrary<Case> =>
  fc
    .record({
      out: fc.integer({ min: 1, max: maxDim }),
      in: fc.integer({ min: 1, max: maxDim }),
      tr: fc.integer({ min: 1, max: maxTile }),
      tc: fc.integer({ min: 1, max: maxTile }),
    })
    .chain((s) =>
      fc
        .array(fc.integer({ min: -4, max: 4 }), { minLength: s.out * s.in, maxLength: s.out * s.in })
        .map((w) => ({ ...s, weight: Float32Array.from(w) })),
    );

// Uniform grids, not fc.double: its bias towards 0 and 1 leaves almost no partial pruning.
export const sparsity = fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000);
export const split = fc.oneof(
  fc.constantFrom(0, 1, 0.5),
  fc.integer({ min: 0, max: 100 }).map((x) => x / 100),
);

export function isSubset(inner: Uint8Array, outer: Uint8Array): boolean {
  for (let i = 0; i < inner.length; i++) if (inner[i] && !outer[i]) return false;
  return true;
}
