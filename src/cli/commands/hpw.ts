// hp-lab hpw FILE: reads and checks a .hpw file (magic, version, length, CRC-32, every record)
// and prints what it holds.
import { readFile } from 'node:fs/promises';
import { hpBytes, hpDensity, tileGrid } from '../../core/formats/hp';
import { readHPW } from '../../core/formats/hpw';
import { FormatError } from '../../core/formats/byte-io';
import { parseFlags } from '../args';
import { CliError } from '../cli-error';
import { inputFile } from '../paths';

export const usage = 'hp-lab hpw FILE.hpw\n  Checks a .hpw file (written by `hp-lab prune --hpw` or the app) and prints its matrices as JSON.';

export async function run(argv: string[]): Promise<unknown> {
  const { positionals } = parseFlags(argv, {}, true);
  if (positionals.length !== 1) throw new CliError('give exactly one .hpw file');
  const file = inputFile('', positionals[0]);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  try {
    const hpw = readHPW(bytes);
    return {
      file, bytes: bytes.byteLength, valueType: hpw.valueType, info: hpw.info,
      matrices: hpw.matrices.map(({ name, hp }) => {
        const { tileRows, tilesPerRow } = tileGrid(hp);
        return { name, shape: [hp.out, hp.in], tile: `${hp.tr}x${hp.tc}`, m: hp.m, k: hp.k, tileRows, tilesPerRow, gridDensity: hpDensity(hp), bytes: hpBytes(hp, hpw.valueType) };
      }),
    };
  } catch (err) {
    if (err instanceof FormatError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
}
