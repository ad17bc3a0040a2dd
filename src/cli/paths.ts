// File flags checked before any work: a missing input, a directory where a file belongs, or an
// output whose folder does not exist fails at once, not after a whole prune.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './cli-error';

/** An existing regular file for `--flag` (or the positional when flag is ''). */
export function inputFile(flag: string, file: string): string {
  const what = flag ? `--${flag} ${file}` : file;
  if (!existsSync(file)) throw new CliError(`${what}: no such file`);
  if (statSync(file).isDirectory()) throw new CliError(`${what}: is a directory, not a file`);
  return file;
}

/** A path `--flag` can write: not a directory, in an existing folder this user can write to. */
export function outputFile(flag: string, file: string): string {
  const what = `--${flag} ${file}`;
  if (file === '' || file.endsWith('/') || (existsSync(file) && statSync(file).isDirectory()))
    throw new CliError(`${what}: is a directory; give a file name`);
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) throw new CliError(`${what}: the folder ${dir} does not exist`);
  try {
    accessSync(dir, constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
  } catch {
    throw new CliError(`${what}: not writable`);
  }
  return file;
}
