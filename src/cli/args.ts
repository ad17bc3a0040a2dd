// Small typed helpers over node:util parseArgs so every command validates flags the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Parses a flag as a number within [min, max]; `fallback` when absent. */
export function numberFlag(value: string | undefined, name: string, fallback: number, min = -Infinity, max = Infinity, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${value}'`);
  }
  return n;
}
