// A stand-in for chromium_experimental_subgroup_matrix where the adapter lacks it (SwiftShader),
// for tests only: the device is wrapped so that it reports the feature and every shader it
// compiles gets plain-WGSL versions of the i8 x i8 -> i32 16 x 16 x 32 subgroup-matrix builtins
// that int8-matrix.wgsl uses. Each invocation computes whole matrices (redundantly, as its
// subgroup's share) and stores every element: slow, but the kernel's staging, offsets, strides,
// barriers and epilogue run as written. The semantics
// follow Dawn's description: left<i8, K, M> is M x K, right<i8, N, K> is K x N, result<i32, N, M>
// is M x N; offsets and strides count the matrix's elements (i8 codes of an i32 array).
import { SUBGROUP_MATRIX_FEATURE, type AcquiredGpu } from '../../src/gpu/adapter';

// A loaded operand is kept as where it was loaded from (offset, layout, stride) and read when it
// is multiplied: int8-matrix.wgsl multiplies right after loading, with no write to that stage
// buffer in between, so this reads what a real load would have, and keeps the shaders small
// (whole 512-element operands in every switch case made SwiftShader's compiler run out of memory).
// Loop bounds are run-time values (emuN(16) is 16, params.tokens being < 2^31) so that the
// compiler cannot unroll the 8192-step multiply at every call.
const SHIM = `
fn emuN(n: u32) -> u32 { return n + (params.tokens >> 31u); }
struct EmuIn { off: u32, colMajor: u32, stride: u32 }
struct EmuResult { v: array<i32, 256> }
fn emuCode(e: u32) -> i32 {
  let w = emuWord(e / 4u);
  return (w << (24u - 8u * (e % 4u))) >> 24u;
}
/** Element (row, col) of an operand. */
fn emuAt(m: EmuIn, row: u32, col: u32) -> i32 {
  return emuCode(select(m.off + row * m.stride + col, m.off + col * m.stride + row, m.colMajor == 1u));
}
fn emuLoad(off: u32, colMajor: bool, stride: u32) -> EmuIn {
  return EmuIn(off, select(0u, 1u, colMajor), stride);
}
/** c + a b: a is 16 x 32 (left), b 32 x 16 (right). */
fn emuMma(a: EmuIn, b: EmuIn, c: EmuResult) -> EmuResult {
  var r = c;
  for (var i = 0u; i < emuN(16u); i++) {
    for (var j = 0u; j < emuN(16u); j++) {
      var s = r.v[i * 16u + j];
      for (var k = 0u; k < emuN(32u); k++) { s += emuAt(a, i, k) * emuAt(b, k, j); }
      r.v[i * 16u + j] = s;
    }
  }
  return r;
}
fn emuStore(off: u32, m: EmuResult, colMajor: bool, stride: u32) {
  for (var r = 0u; r < emuN(16u); r++) {
    for (var c = 0u; c < emuN(16u); c++) {
      emuPut(select(off + r * stride + c, off + c * stride + r, colMajor), m.v[r * 16u + c]);
    }
  }
}
`;

// Word access to the kernel's workgroup memory: the flat array `sm`, or the bands `smb` (BAND),
// addressed as one flat array of BANDW-word bands (a band's load at offset o: band * BANDW * 4 + o).
const FLAT = `
fn emuWord(i: u32) -> i32 { return sm[i]; }
fn emuPut(i: u32, v: i32) { sm[i] = v; }
`;
const BANDED = `
fn emuWord(i: u32) -> i32 { return smb[i / BANDW][i % BANDW]; }
fn emuPut(i: u32, v: i32) { smb[i / BANDW][i % BANDW] = v; }
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
      /(subgroupMatrixLoad<subgroup_matrix_\w+<i8, \d+, \d+>>\(\s*)&smb\[([^\]]+)\],\s*/g,
      '$1&sm, ($2) * BANDW * 4u + ',
    )
    .replace(/subgroupMatrixStore\(&smb\[([^\]]+)\],\s*/g, 'subgroupMatrixStore(&sm, ($1) * BANDW + ')
    .replace(/subgroupMatrixLoad<subgroup_matrix_(left<i8, 32, 16>|right<i8, 16, 32>)>\(\s*&sm,/g, 'emuLoad(')
    .replace(/subgroup_matrix_(left<i8, 32, 16>|right<i8, 16, 32>)/g, 'EmuIn')
    .replaceAll('subgroup_matrix_result<i32, 16, 16>', 'EmuResult')
    .replace(/subgroupMatrixStore\(&sm,/g, 'emuStore(')
    .replaceAll('subgroupMatrixMultiplyAccumulate(', 'emuMma(');
  if (/subgroup_matrix|subgroupMatrix/.test(out)) throw new Error('emulateSubgroupMatrix: a builtin was left over');
  const banded = /var<workgroup> smb\b/.test(out);
  return `${out}\n${SHIM}${banded ? BANDED : FLAT}`;
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
