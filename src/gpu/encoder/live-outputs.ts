// Which outputs of the HP Q/K/V and FFN-in linears a later kernel reads (LiveOutputs, run by the
// columns kernel, hp-columns.ts): every HP kernel reads only its matrix's kept input columns, so an
// output no kept column of its HP consumer reads is never used. FFN-in's output c feeds (through
// GELU) FFN-out's input column c alone; the V output at v + c feeds the attention's context column
// c alone, which the attention output reads as its input column c; the rows after the three
// blocks (the pad) are read by nothing. Q and K feed every score: all read.
import type { HPMatrix } from '../../core/formats/hp';
import { keptInputs } from '../../core/formats/hp';

export { keptInputs };
import type { LiveOutputs } from '../kernels/linear-types';
import type { QkvLayout } from './attention';

/** What the engine does with them: 'off' (every output computed and stored), 'rows' (tile-rows
 *  with no read output not run), 'mask' (also the other unread outputs not stored), 'auto' ('rows'
 *  from LIVE_MIN_TOKENS tokens a call, else 'off'). */
export const HP_LIVE_MODES = ['auto', 'off', 'rows', 'mask'] as const;
export type HPLiveMode = (typeof HP_LIVE_MODES)[number];

/** From this many tokens a call 'auto' runs the columns kernel on the tile-row map of the outputs
 *  read (hp-columns.ts liveRowMap), below it on every tile-row. H200, HP 90 % (BENCHMARKS.md, issue 19 twelfth pass):
 *  B=32 L=128 forward 0.4874-0.4895 ms on the map against 0.5038 without, B=32 L=64 (2048 tokens)
 *  0.2772 against 0.2799; B=1 L=128 0.1679-0.1688 against 0.1655 (the kernels there wait on
 *  latency, and the map adds a dependent load before the first). */
export const LIVE_MIN_TOKENS = 2048;

const options = (live: Uint8Array, mode: Exclude<HPLiveMode, 'off'>): LiveOutputs => ({
  live,
  mask: mode === 'mask',
  minTokens: mode === 'auto' ? LIVE_MIN_TOKENS : 0,
});

/** FFN-in's read outputs: the kept input columns of the HP FFN-out (none: all read). */
export function ffnInLive(ffnOut: HPMatrix | undefined, mode: HPLiveMode): LiveOutputs | undefined {
  if (mode === 'off' || !ffnOut) return undefined;
  return options(keptInputs(ffnOut), mode);
}

/** The heads whose context the HP attention output reads (a kept input column among the head's
 *  columns); the attention runs those alone (Params.heads: their bits), and qkvLive (its `heads`, as
 *  the engine passes it) drops the others' Q/K outputs. At 90 % (the
 *  default model, tiles 32x32) 13 of the 48 heads read nothing (6, 3, 1, 3 by layer). With head sizes
 *  up to 32 also each head's read context columns (`dims`, Params.dims: bit e for column e of the
 *  head) and the most of a head (`valueDims`; 18-21 of 26 at 90 %): the whole-sequence attention's
 *  read form computes those alone. Undefined: every column is read (or no HP attention output, 'off',
 *  or more heads than the 32 bits of Params.heads). */
export interface LiveHeads {
  /** Bit h set: head h runs. */
  bits: number;
  count: number;
  minTokens: number;
  dims?: number[];
  valueDims?: number;
}

export function liveHeads(attnOut: HPMatrix | undefined, heads: number, mode: HPLiveMode): LiveHeads | undefined {
  if (mode === 'off' || !attnOut || heads > 32) return undefined;
  const ctx = keptInputs(attnOut);
  const d = attnOut.in / heads;
  let bits = 0;
  let count = 0;
  const dims: number[] = [];
  for (let h = 0; h < heads; h++) {
    const read = ctx.subarray(h * d, (h + 1) * d);
    if (read.some((x) => x)) {
      bits = (bits | (1 << h)) >>> 0;
      count++;
    }
    dims.push(d <= 32 ? read.reduce((m, x, e) => (x ? (m | (1 << e)) >>> 0 : m), 0) : 0);
  }
  const valueDims = Math.max(...dims.map(popCount));
  // The read form only where a head run reads some of its columns, not all.
  const read = d <= 32 && dims.some((m) => m !== 0 && popCount(m) < d) ? { dims, valueDims } : {};
  if (count === heads && !read.dims) return undefined;
  return { bits, count, minTokens: mode === 'auto' ? LIVE_MIN_TOKENS : 0, ...read };
}

const popCount = (m: number) => {
  let n = 0;
  for (let x = m; x; x &= x - 1) n++;
  return n;
};

/** The stacked Q/K/V's read outputs (`out` rows of `layout`): the V outputs whose context column
 *  the HP attention output keeps (none: the whole V block), and Q and K, of every head by default or,
 *  given `heads`, of the heads it reads alone (each feeds every score of its head only). */
export function qkvLive(
  out: number,
  layout: QkvLayout,
  hidden: number,
  attnOut: HPMatrix | undefined,
  mode: HPLiveMode,
  heads = 1,
): LiveOutputs | undefined {
  if (mode === 'off') return undefined;
  const live = new Uint8Array(out);
  const ctx = attnOut ? keptInputs(attnOut) : new Uint8Array(hidden).fill(1);
  const running = liveHeads(attnOut, heads, mode);
  const d = hidden / heads;
  for (let c = 0; c < hidden; c++) {
    const head = running ? (running.bits >>> Math.floor(c / d)) & 1 : 1;
    live[layout.q + c] = head;
    live[layout.k + c] = head;
    live[layout.v + c] = ctx[c];
  }
  return options(live, mode);
}
