// A stand-in for chromium_experimental_subgroup_matrix where the adapter lacks it (SwiftShader),
// for tests only: the device is wrapped so that it reports the feature and every shader it
// compiles gets plain-WGSL versions of the i8 x i8 -> i32 and u8 x u8 -> u32 subgroup-matrix
// builtins (any M x N x K up to 256 result elements) that int8-matrix.wgsl, peak-mma.wgsl and
// attention-int8-matrix.wgsl use, on workgroup memory. Each invocation computes whole matrices (redundantly, as its
// subgroup's share) and stores every element: slow, but the kernel's staging, offsets, strides,
// barriers and epilogue run as written. The semantics
// follow Dawn's description: left<i8, K, M> is M x K, right<i8, N, K> is K x N, result<i32, N, M>
// is M x N; offsets and strides count the matrix's elements (i8 / u8 codes of an i32 / u32 array).
import { SUBGROUP_MATRIX_FEATURE, type AcquiredGpu } from '../../src/gpu/adapter';

// A loaded operand is kept as where it was loaded from (offset, layout, stride) and read when it
// is multiplied: int8-matrix.wgsl multiplies right after loading, with no write to that stage
// buffer in between, so this reads what a real load would have, and keeps the shaders small
// (whole 512-element operands in every switch case made SwiftShader's compiler run out of memory).
// Loop bounds are run-time values (emuN(16) is 16, params.tokens being < 2^31) so that the
// compiler cannot unroll the 8192-step multiply at every call.
const SHIM = `
fn emuN(n: u32) -> u32 { return n + ({{RUNTIME}} >> 31u); }
struct EmuIn { off: u32, colMajor: u32, stride: u32, rows: u32, cols: u32, signed: u32 }
struct EmuResult { v: array<i32, 256>, rows: u32, cols: u32 }
fn emuCode(e: u32, signed: u32) -> i32 {
  let w = emuWord(e / 4u);
  let s = (w << (24u - 8u * (e % 4u))) >> 24u;
  return select(s & 255, s, signed == 1u);
}
/** Element (row, col) of an operand. */
fn emuAt(m: EmuIn, row: u32, col: u32) -> i32 {
  return emuCode(select(m.off + row * m.stride + col, m.off + col * m.stride + row, m.colMajor == 1u), m.signed);
}
fn emuLoad(rows: u32, cols: u32, signed: u32, off: u32, colMajor: bool, stride: u32) -> EmuIn {
  return EmuIn(off, select(0u, 1u, colMajor), stride, rows, cols, signed);
}
/** c + a b: a is rows x K (left), b K x cols (right). */
fn emuMma(a: EmuIn, b: EmuIn, c: EmuResult) -> EmuResult {
  var r = c;
  r.rows = a.rows;
  r.cols = b.cols;
  for (var i = 0u; i < emuN(a.rows); i++) {
    for (var j = 0u; j < emuN(b.cols); j++) {
      var s = r.v[i * b.cols + j];
      for (var k = 0u; k < emuN(a.cols); k++) { s += emuAt(a, i, k) * emuAt(b, k, j); }
      r.v[i * b.cols + j] = s;
    }
  }
  return r;
}
fn emuStore(off: u32, m: EmuResult, colMajor: bool, stride: u32) {
  for (var r = 0u; r < emuN(m.rows); r++) {
    for (var c = 0u; c < emuN(m.cols); c++) {
      emuPut(select(off + r * stride + c, off + c * stride + r, colMajor), m.v[r * m.cols + c]);
    }
  }
}
`;

// Word access to the kernel's workgroup memory: the flat array `sm`, or the bands `smb` (BAND),
// addressed as one flat array of BANDW-word bands (a band's load at offset o: band * BANDW * 4 + o).
const FLAT = `
fn emuWord(i: u32) -> i32 { return bitcast<i32>(sm[i]); }
fn emuPut(i: u32, v: i32) { sm[i] = bitcast<{{ELEM}}>(v); }
`;
const BANDED = `
fn emuWord(i: u32) -> i32 { return bitcast<i32>(smb[i / BANDW][i % BANDW]); }
fn emuPut(i: u32, v: i32) { smb[i / BANDW][i % BANDW] = bitcast<{{ELEM}}>(v); }
`;

/** The kernel's WGSL with the subgroup-matrix builtins replaced (its workgroup memory must be the
 *  array `sm` or the bands `smb`, whose index expressions hold no brackets). */
export function emulateSubgroupMatrix(code: string): string {
  if (!code.includes('chromium_experimental_subgroup_matrix')) return code;
  const out = code
    .replace(/\/\/.*$/gm, '') // comments (they name the builtins)
    .replace(/^enable chromium_experimental_subgroup_matrix;$/m, '')
    .replace(/^diagnostic\(off, chromium\.subgroup_matrix_uniformity\);$/m, '')
    .replace(
      /(subgroupMatrixLoad<subgroup_matrix_\w+<[iu]8, \d+, \d+>>\(\s*)&smb\[([^\]]+)\],\s*/g,
      '$1&sm, ($2) * BANDW * 4u + ',
    )
    .replace(/subgroupMatrixStore\(&smb\[([^\]]+)\],\s*/g, 'subgroupMatrixStore(&sm, ($1) * BANDW + ')
    // <T, columns, rows>: loaded as (rows, columns, signed, offset, ...).
    .replace(
      /subgroupMatrixLoad<subgroup_matrix_(?:left|right)<([iu])8, (\d+), (\d+)>>\(\s*&sm,/g,
      (_, t: string, cols: string, rows: string) => `emuLoad(${rows}u, ${cols}u, ${t === 'i' ? 1 : 0}u,`,
    )
    .replace(/subgroup_matrix_(?:left|right)<[iu]8, \d+, \d+>/g, 'EmuIn')
    .replace(/subgroup_matrix_result<[iu]32, \d+, \d+>/g, 'EmuResult')
    .replace(/subgroupMatrixStore\(&sm,/g, 'emuStore(')
    .replaceAll('subgroupMatrixMultiplyAccumulate(', 'emuMma(');
  if (/subgroup_matrix|subgroupMatrix/.test(out)) throw new Error('emulateSubgroupMatrix: a builtin was left over');
  const banded = /var<workgroup> smb\b/.test(out);
  // The workgroup array's element type (i32 for i8 operands, u32 for u8), and a run-time zero.
  const elem = /var<workgroup> smb?: array<(?:array<)?(u32|i32)/.exec(out)?.[1] ?? 'i32';
  const runtime = ['params.tokens', 'params.seq'].find((r) => out.includes(r)) ?? 'params.iters';
  const shim = (SHIM + (banded ? BANDED : FLAT)).replaceAll('{{ELEM}}', elem).replaceAll('{{RUNTIME}}', runtime);
  return `${out}\n${shim}`;
}

/** `gpu` as if its adapter offered i8 subgroup matrices (configurations not reported). */
export function withEmulatedSubgroupMatrix(gpu: AcquiredGpu): AcquiredGpu {
  const real = gpu.device;
  const features = new Set<string>([...real.features, SUBGROUP_MATRIX_FEATURE]);
  const device = new Proxy(real, {
    get(target, prop) {
      if (prop === 'features') return features;
      if (prop === 'createShaderModule')
        return (desc: GPUShaderModuleDescriptor) =>
          target.createShaderModule({ ...desc, code: emulateSubgroupMatrix(desc.code) });
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const { subgroupMatrixConfigs: _dropped, ...caps } = gpu.caps;
  void _dropped;
  return {
    adapter: gpu.adapter,
    device,
    caps: { ...caps, features: [...caps.features, SUBGROUP_MATRIX_FEATURE] },
  };
}
