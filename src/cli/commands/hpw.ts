// hp-lab hpw FILE: reads and checks a .hpw file (magic, version, length, CRC-32, every record)
// and prints what it holds.
import { readFile, writeFile } from 'node:fs/promises';
import { hpBytes, hpDensity, tileGrid } from '../../core/formats/hp';
import { readHPW, writeHPW } from '../../core/formats/hpw';
import { FormatError } from '../../core/formats/byte-io';
import { parseFlags } from '../args';
import { CliError } from '../cli-error';
import { inputFile, outputFile } from '../paths';
import { valueTypeFlag } from '../prune-flags';

export const usage = `hp-lab hpw FILE.hpw [--value-type f32|f16|int8 --out OUT.hpw]
  Checks a .hpw file (written by \`hp-lab prune --hpw\` or the app) and prints its matrices as JSON.
  --value-type T --out OUT: also writes the same matrices (same masks) with values stored as T
  (f16 halves the file; int8 quantizes per output row), and prints what OUT holds.`;

export async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseFlags(argv, { 'value-type': { type: 'string' }, out: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new CliError('give exactly one .hpw file');
  const file = inputFile('', positionals[0]);
  if ((values['value-type'] === undefined) !== (values.out === undefined))
    throw new CliError('--value-type and --out go together');
  const convertTo = values['value-type'] === undefined ? null : valueTypeFlag(values['value-type']);
  const out = values.out === undefined ? null : outputFile('out', values.out);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  try {
    let hpw = readHPW(bytes);
    if (convertTo && out) {
      bytes = writeHPW({ ...hpw, valueType: convertTo, info: { ...hpw.info, convertedFrom: hpw.valueType } });
      hpw = readHPW(bytes); // describe what was written, as read back
      await writeFile(out, bytes);
    }
    return {
      file: out ?? file,
      ...(out ? { from: file } : {}),
      bytes: bytes.byteLength,
      valueType: hpw.valueType,
      info: hpw.info,
      matrices: hpw.matrices.map(({ name, hp }) => {
        const { tileRows, tilesPerRow } = tileGrid(hp);
        return {
          name,
          shape: [hp.out, hp.in],
          tile: `${hp.tr}x${hp.tc}`,
          m: hp.m,
          k: hp.k,
          tileRows,
          tilesPerRow,
          gridDensity: hpDensity(hp),
          bytes: hpBytes(hp, hpw.valueType),
        };
      }),
    };
  } catch (err) {
    if (err instanceof FormatError) throw new CliError(`${file}: ${err.message}`);
    throw err;
  }
}
