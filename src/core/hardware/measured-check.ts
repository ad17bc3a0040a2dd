// MeasuredDevice records from untrusted JSON (the CLI's --measured file): every number a finite
// number of the right sign. '"denseGflops": "5"' passed the old `> 0` test by coercion.
import type { MeasuredDevice } from './roofline';
import { isJsonObject } from '../formats/json-depth';

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const optionalPositive = (v: unknown) => v === undefined || positive(v);

/** Returns `json` as MeasuredDevice[], or throws a RangeError naming the first bad entry. */
export function checkMeasuredDevices(json: unknown): MeasuredDevice[] {
  if (!Array.isArray(json))
    throw new RangeError(
      'must be a JSON array of {kind: "cpu"|"gpu", label, denseGflops, sparse?, encoder?, catalogId?}',
    );
  json.forEach((x, i) => {
    const bad = (why: string) => new RangeError(`entry ${i}: ${why}`);
    if (!isJsonObject(x)) throw bad('not an object');
    if (x.kind !== 'cpu' && x.kind !== 'gpu') throw bad('kind must be "cpu" or "gpu"');
    if (typeof x.label !== 'string' || x.label.length > 200)
      throw bad('label must be a string (at most 200 characters)');
    if (!positive(x.denseGflops))
      throw bad(`denseGflops must be a positive number, got ${JSON.stringify(x.denseGflops)}`);
    for (const k of ['peakGflops', 'bandwidthGBs'] as const)
      if (!optionalPositive(x[k])) throw bad(`${k} must be a positive number`);
    if (x.catalogId !== undefined && typeof x.catalogId !== 'string') throw bad('catalogId must be a string');
    if (x.software !== undefined && typeof x.software !== 'boolean') throw bad('software must be true or false');
    if (x.sparse !== undefined) {
      if (
        !Array.isArray(x.sparse) ||
        !x.sparse.every(
          (p) => isJsonObject(p) && positive(p.gflops) && positive(p.density) && (p.density as number) <= 1,
        )
      ) {
        throw bad('sparse must be an array of {density in (0, 1], gflops > 0}');
      }
    }
    if (x.encoder !== undefined) {
      const e = x.encoder;
      if (!isJsonObject(e) || !positive(e.batch) || !positive(e.seq) || !positive(e.ms))
        throw bad('encoder must be {batch, seq, ms} with positive numbers');
    }
  });
  return json as MeasuredDevice[];
}
