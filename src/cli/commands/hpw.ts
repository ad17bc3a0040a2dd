// hp-lab hpw FILE: reads and checks a .hpw file (magic, version, length, CRC-32, every record)
// and prints what it holds.
import { readFile, writeFile } from 'node:fs/promises';
import { hpBytes, hpDensity, tileGrid, type HPValueType } from '../../core/formats/hp';
import { csrBytes } from '../../core/formats/sparse';
import { readSPW, SPW_MAGIC, writeSPW } from '../../core/formats/spw';
import { hasMagic } from '../../core/formats/weights-frame';
import { readHPW, writeHPW } from '../../core/formats/hpw';
import { FormatError } from '../../core/formats/byte-io';
import { parseFlags } from '../args';
import { CliError } from '../cli-error';
import { inputFile, outputFile } from '../paths';
import { valueTypeFlag } from '../prune-flags';

export const usage = `hp-lab hpw FILE.hpw|FILE.spw [--value-type f32|f16|int8 --out OUT]
  Checks a .hpw or .spw file (written by \`hp-lab prune --hpw/--spw\` or the app) and prints its matrices
  as JSON.
  --value-type T --out OUT: also writes the same matrices (same masks) with values stored as T
  (f16 halves the file; int8 quantizes per output row), and prints what OUT holds.`;

export async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseFlags(argv, { 'value-type': { type: 'string' }, out: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new CliError('give exactly one .hpw or .spw file');
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
    if (hasMagic(bytes, SPW_MAGIC)) return await sparseWeights(bytes, file, convertTo, out);
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

/** The same for a .spw file (CSR records): int8 is HP-only. */
async function sparseWeights(
  bytes: Uint8Array,
  file: string,
  convertTo: HPValueType | null,
  out: string | null,
): Promise<unknown> {
  let spw = readSPW(bytes);
  if (convertTo && out) {
    if (convertTo === 'int8') throw new CliError('a .spw file stores f32 or f16 values, not int8');
    bytes = writeSPW({ ...spw, valueType: convertTo, info: { ...spw.info, convertedFrom: spw.valueType } });
    spw = readSPW(bytes);
    await writeFile(out, bytes);
  }
  return {
    file: out ?? file,
    ...(out ? { from: file } : {}),
    bytes: bytes.byteLength,
    format: 'spw',
    valueType: spw.valueType,
    info: spw.info,
    matrices: spw.matrices.map(({ name, csr }) => ({
      name,
      shape: [csr.out, csr.in],
      kept: csr.values.length,
      sparsity: +(1 - csr.values.length / (csr.out * csr.in)).toFixed(6),
      bytes: csrBytes(csr.out, csr.in, csr.values.length, spw.valueType),
    })),
  };
}
