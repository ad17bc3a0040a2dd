// The CLI under crafted arguments and files (issue 18): each fails at once with one line on
// stderr, exit code 2, and no stack trace unless --debug is given. Runs the bundled CLI as a user
// would (node hp-lab.mjs ...), built once for the file.
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { buildCli } from '../../../scripts/build-cli.mjs';
import { buildTinyBertOnnx } from '../../helpers/tiny-bert-onnx';
import { describeCliError } from '../../../src/cli/cli-error';

// Each case starts a Node process (about a second on a loaded 2-core machine).
vi.setConfig({ testTimeout: 60_000 });

const cli = path.resolve('node_modules/.cache/hp-lab-tests/cli.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-cli-crafted-'));
const model = path.join(dir, 'tiny.onnx');
const tiny = buildTinyBertOnnx({ layers: 1, hidden: 16, heads: 2, ffn: 32, vocab: 40 }).bytes;

function hpLab(...args: string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, ms: performance.now() - t0 };
}

/** Exit 2, one line on stderr matching `message`, no stack frames. */
function refuses(args: string[], message: RegExp) {
  const r = hpLab(...args);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
}

beforeAll(async () => {
  await buildCli(cli, { external: ['webgpu', 'onnxruntime-web', 'onnxruntime-common'] });
  writeFileSync(model, tiny);
}, 60_000);

describe('numbers are parsed strictly, with ranges per flag', () => {
  test('--sparsity "" and --sparsity 0x1 are refused (Number() read them as 0 and 1)', () => {
    refuses(['prune', '--model', model, '--sparsity', ''], /--sparsity must be a decimal number in \[0, 1\], got ''/);
    refuses(['prune', '--model', model, '--sparsity', '0x1'], /got '0x1'/);
    refuses(['prune', '--model', model, '--split', 'Infinity'], /--split must be/);
  });
  test('bench matmul / hp: --spin-up (the int8 clock hold) takes whole milliseconds up to 60000', () => {
    refuses(['bench', 'matmul', '--quant', 'int8', '--spin-up', '99999'], /--spin-up must be/);
    refuses(['bench', 'hp', '--quant', 'int8', '--spin-up', '1.5'], /--spin-up must be/);
  });
  test('encoder: --ort-dir without --compare-ort-webgpu, and --compare-ort-webgpu with saved logits', () => {
    refuses(['encoder', '--model', model, '--ort-dir', dir], /--ort-dir goes with --compare-ort-webgpu/);
    refuses(['encoder', '--model', model, '--profile-dispatches'], /--profile-dispatches goes with --profile/);
    refuses(['encoder', '--model', model, '--profile-prefix'], /--profile-prefix goes with --profile/);
    refuses(['encoder', '--model', model, '--profile-cold', '256'], /--profile-cold goes with --profile/);
    refuses(['encoder', '--model', model, '--profile-pairs'], /--profile-pairs goes with --profile/);
    refuses(['encoder', '--model', model, '--profile', '--profile-cold', '0'], /--profile-cold must be an integer/);
    refuses(['encoder', '--model', model, '--cls-tail', 'on+prefetched'], /\+prefetch; got 'on\+prefetched'/);
    refuses(
      ['encoder', '--model', model, '--compare-ort', '--compare-ort-webgpu', '--engine-logits', model],
      /not with --engine-logits/,
    );
  });

  test('encoder: --embeddings-columns takes subgroup or transpose, --cls-tail its named parts (lists)', () => {
    refuses(
      ['encoder', '--model', model, '--embeddings-columns', 'subgroup,rows'],
      /--embeddings-columns must be one of subgroup, transpose, got 'rows'/,
    );
    refuses(
      ['encoder', '--model', model, '--cls-tail', 'on+split+ln-apart,on+headln'],
      /--cls-tail must be one of on, off, auto, then any of .*\+head-ln, \+ln-apart, \+prefetch; got 'on\+headln'/,
    );
    // The whole tail's slices and load step: 1-16.
    for (const bad of ['on+whole17', 'auto+whole0', 'on+whole+unroll0', 'on+unroll99'])
      refuses(['encoder', '--model', model, '--cls-tail', bad], /\+unrollN \(N 1-16\)/);
  });

  test('encoder: --dense-variant / --hp-variant take a kernel variant name (int8 ones with --quant int8)', () => {
    refuses(['encoder', '--model', model, '--dense-variant', '99x99'], /--dense-variant must be one of .*64x64\/8x8/);
    refuses(['encoder', '--model', model, '--hp-variant', 'huge'], /--hp-variant must be one of wide, mid/);
    refuses(
      ['encoder', '--model', model, '--hp-variant', 'mid', '--quant', 'int8'],
      /must be one of dot4\b.*\bdot4c-64, matrix, .*\bmatrix-x128f1pb, matrix-x256e1pb \(int8 kernels\), got 'mid'/,
    );
  });

  test('--tile sides are bounded', () => {
    refuses(['prune', '--model', model, '--tile', '100000x4'], /--tile must look like|rows and columns in \[1, 256\]/);
    refuses(['prune', '--model', model, '--tile', '512x4'], /rows and columns in \[1, 256\]/);
    refuses(['select', '--lc', '1', '--density', '0.5', '--tile', '4x9999'], /--tile/);
  });
});

describe('limits and types are checked before any work', () => {
  test('bench matmul with 2^20 x 2^20 operands fails before allocating (was 114 s and 4.3 GB)', () => {
    const r = refuses(
      ['bench', 'matmul', '--m', '1048576', '--k', '1048576'],
      /X would hold 1\.10e\+12 floats .* WebGPU binds at most 4 GiB/,
    );
    expect(r.ms).toBeLessThan(20_000);
  });
  test("bench attention: a variant past the device's workgroup memory is refused in one line", () => {
    // SwiftShader allows 32 KiB; b32k128n4 at TinyBERT's head size needs 40576 bytes (was "an internal error").
    refuses(
      ['bench', 'attention', '--variant', 'b32k128n4', '--batch', '1', '--seq', '8', '--reps', '1'],
      /'b32k128n4' needs 40576 bytes of workgroup memory .* this device allows 32768\n$/,
    );
    // No --variant on a software adapter: the variant 'auto' runs, not all ~100 (which outgrew 12 GiB).
    const r = hpLab('bench', 'attention', '--batch', '1', '--seq', '8', '--reps', '1');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { variants: string; rows: { variant: string }[] };
    expect([out.variants, out.rows.map((row) => row.variant)]).toEqual([
      'auto (no --variant, software adapter)',
      ['auto'],
    ]);
  });
  test('bench peak: an unknown --family or a zero --iters is refused before the GPU is touched', () => {
    refuses(['bench', 'peak', '--family', 'tensor'], /--family: 'tensor' is not one of mma, dot4, fma/);
    refuses(['bench', 'peak', '--iters', '0'], /--iters must be an integer in \[1, 1048576\], got '0'/);
  });
  test('select --model with a million layers, a negative width or a string field', () => {
    const cfg = (name: string, json: unknown) => {
      const p = path.join(dir, name);
      writeFileSync(p, JSON.stringify(json));
      return p;
    };
    refuses(
      ['select', '--lc', '1', '--model', cfg('layers.json', { layers: 1e6 })],
      /layers must be an integer in \[1, 96\], got 1000000/,
    );
    refuses(
      ['select', '--lc', '1', '--model', cfg('neg.json', { hidden: -312 })],
      /hidden must be an integer in \[1, 16384\], got -312/,
    );
    refuses(
      ['select', '--lc', '1', '--model', cfg('str.json', { ffn: '1200' })],
      /ffn must be an integer .* got "1200"/,
    );
    refuses(['select', '--lc', '1', '--model', cfg('null.json', null)], /must be a JSON object/);
    refuses(
      ['select', '--lc', '1', '--measured', cfg('m.json', [{ kind: 'cpu', label: 'x', denseGflops: '5' }])],
      /entry 0: denseGflops must be a positive number, got "5"/,
    );
  });
});

describe('files are checked before the work', () => {
  test('--out a directory, --hpw in a missing folder, --model a directory', () => {
    refuses(['prune', '--model', model, '--out', dir], /--out .*: is a directory; give a file name/);
    refuses(
      ['prune', '--model', model, '--hpw', path.join(dir, 'no/such/folder/p.hpw')],
      /--hpw .*: the folder .* does not exist/,
    );
    refuses(['prune', '--model', dir], /--model .*: is a directory, not a file/);
    refuses(['eval', '--model', dir], /is a directory/);
    refuses(['hpw', dir], /is a directory/);
  });
  test('--hpw with a pattern that has no HP structure fails before pruning', () => {
    refuses(
      ['prune', '--model', model, '--pattern', 'unstructured', '--hpw', path.join(dir, 'u.hpw')],
      /--hpw needs an HP-structured pattern/,
    );
  });
  test('--norms holding null', () => {
    const p = path.join(dir, 'null-norms.json');
    writeFileSync(p, 'null');
    refuses(
      ['prune', '--model', model, '--score', 'activation', '--norms', p],
      /--norms .*: must be a JSON object .* not null/,
    );
  });
});

describe('crafted model and .hpw files: one line', () => {
  test('a NaN weight', () => {
    const m = onnxProto.onnx.ModelProto.decode(tiny);
    const w = m.graph!.initializer!.find((t) => t.dims!.length === 2 && t.rawData && t.rawData.length > 64)!;
    const raw = w.rawData!.slice();
    new DataView(raw.buffer).setFloat32(0, NaN, true);
    w.rawData = raw;
    const p = path.join(dir, 'nan.onnx');
    writeFileSync(p, onnxProto.onnx.ModelProto.encode(m).finish());
    refuses(['prune', '--model', p], /NaN or infinite/);
  });
  test('a .hpw whose metadata is null', () => {
    const p = path.join(dir, 'null.hpw');
    mkdirSync(path.dirname(p), { recursive: true });
    const meta = new TextEncoder().encode('null');
    const total = 20 + meta.length + 4;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    b.set(new TextEncoder().encode('HPWF'));
    v.setUint32(4, 1, true);
    v.setUint32(8, total, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, meta.length, true);
    b.set(meta, 20);
    // CRC-32 of the bytes before it, as the reader checks (crc-32's algorithm, here inline).
    let c = ~0;
    for (const byte of b.subarray(0, total - 4)) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    v.setUint32(total - 4, ~c >>> 0, true);
    writeFileSync(p, b);
    refuses(['hpw', p], /metadata is null, not an object/);
  });
});

describe('no stack trace without --debug', () => {
  test('an internal error prints its first line and points to --debug; --debug prints the stack', () => {
    const err = new TypeError("Cannot read properties of null (reading 'x')");
    const plain = describeCliError(err, false);
    expect(plain.text).toBe(
      "Cannot read properties of null (reading 'x') (an internal error; run with --debug for the stack trace)",
    );
    expect(plain.exitCode).toBe(1);
    expect(describeCliError(err, true).text).toMatch(/TypeError: Cannot read[^\n]*\n\s+at /);
  });
  test('--debug is accepted anywhere on the command line', () => {
    const r = hpLab('prune', '--debug', '--model', model, '--sparsity', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CliError: --sparsity must be[^\n]*\n\s+at /);
  });
});
