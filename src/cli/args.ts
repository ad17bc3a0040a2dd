// Small typed helpers over node:util parseArgs so every command validates flags the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A plain decimal number: 12, -0.5, .25, 1e-3. Not '', ' ', '0x1', '0b1', 'Infinity' or '1_000'
 *  (Number() reads '' as 0 and '0x1' as 1, so `--sparsity ""` ran at 0). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a flag as a decimal number within [min, max]; `fallback` when absent. */
export function numberFlag(
  value: string | undefined,
  name: string,
  fallback: number,
  min = -Infinity,
  max = Infinity,
  integer = false,
): number {
  if (value === undefined) return fallback;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CliError(
      `--${name} must be ${integer ? 'an integer' : 'a decimal number'} in [${min}, ${max}], got '${value}'`,
    );
  }
  return n;
}

/** A comma list of numbers, each as numberFlag reads it; `fallback` when absent, an error when empty. */
export function numberListFlag(
  v: string | undefined,
  name: string,
  fallback: number[],
  min: number,
  max: number,
  integer: boolean,
): number[] {
  if (v === undefined) return fallback;
  const parts = v.split(',').filter((s) => s.trim() !== '');
  if (parts.length === 0) throw new CliError(`--${name} needs at least one value`);
  return parts.map((p) => numberFlag(p.trim(), name, 0, min, max, integer));
}

/** Largest tile side: Tc is a u8 offset (<= 256) and taller tiles than 256 rows buy nothing. */
export const MAX_TILE_SIDE = 256;

/** --tile TRxTC, both sides in [1, MAX_TILE_SIDE] (commands add their own kernel rules). */
export function tileFlag(v: string | undefined, fallback = '32x32', flag = 'tile'): [number, number] {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(v ?? fallback);
  if (!m) throw new CliError(`--${flag} must look like 32x32 (Tr x Tc), got '${v}'`);
  const [tr, tc] = [Number(m[1]), Number(m[2])];
  if (tr < 1 || tc < 1 || tr > MAX_TILE_SIDE || tc > MAX_TILE_SIDE)
    throw new CliError(`--${flag}: rows and columns in [1, ${MAX_TILE_SIDE}] (Tc is stored as u8 offsets), got ${v}`);
  return [tr, tc];
}
