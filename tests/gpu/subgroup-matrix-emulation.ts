// A stand-in for chromium_experimental_subgroup_matrix where the adapter lacks it (SwiftShader),
// for tests only: the device is wrapped so that it reports the feature and every shader it
// compiles gets plain-WGSL versions of the i8 x i8 -> i32 16 x 16 x 32 subgroup-matrix builtins
// that int8-matrix.wgsl uses. Each invocation holds whole matrices (redundantly, as its
// subgroup's share), loads and stores every element, and multiplies them out itself: slow, but
// the kernel's staging, offsets, strides, barriers and epilogue run as written. The semantics
// follow Dawn's description: left<i8, K, M> is M x K, right<i8, N, K> is K x N, result<i32, N, M>
// is M x N; offsets and strides count the matrix's elements (i8 codes of an i32 array).
import { SUBGROUP_MATRIX_FEATURE, type AcquiredGpu } from '../../src/gpu/adapter';

const SHIM = `
struct EmuIn { v: array<i32, 512> } // a left (16 x 32) or right (32 x 16) operand, row-major
struct EmuResult { v: array<i32, 256> }
fn emuCode(e: u32) -> i32 {
  let w = sm[e / 4u];
  return (w << (24u - 8u * (e % 4u))) >> 24u;
}
fn emuLoad(off: u32, colMajor: bool, stride: u32, rows: u32, cols: u32) -> EmuIn {
  var m: EmuIn;
  for (var r = 0u; r < rows; r++) {
    for (var c = 0u; c < cols; c++) {
      m.v[r * cols + c] = emuCode(select(off + r * stride + c, off + c * stride + r, colMajor));
    }
  }
  return m;
}
fn emuLoadLeft(off: u32, colMajor: bool, stride: u32) -> EmuIn { return emuLoad(off, colMajor, stride, 16u, 32u); }
fn emuLoadRight(off: u32, colMajor: bool, stride: u32) -> EmuIn { return emuLoad(off, colMajor, stride, 32u, 16u); }
fn emuMma(a: EmuIn, b: EmuIn, c: EmuResult) -> EmuResult {
  var r = c;
  for (var i = 0u; i < 16u; i++) {
    for (var j = 0u; j < 16u; j++) {
      var s = r.v[i * 16u + j];
      for (var k = 0u; k < 32u; k++) { s += a.v[i * 32u + k] * b.v[k * 16u + j]; }
      r.v[i * 16u + j] = s;
    }
  }
  return r;
}
fn emuStore(off: u32, m: EmuResult, colMajor: bool, stride: u32) {
  for (var r = 0u; r < 16u; r++) {
    for (var c = 0u; c < 16u; c++) {
      sm[select(off + r * stride + c, off + c * stride + r, colMajor)] = m.v[r * 16u + c];
    }
  }
}
`;

/** The kernel's WGSL with the subgroup-matrix builtins replaced (its workgroup array must be `sm`). */
export function emulateSubgroupMatrix(code: string): string {
  if (!code.includes('chromium_experimental_subgroup_matrix')) return code;
  const out = code
    .replace(/\/\/.*$/gm, '') // comments (they name the builtins)
    .replace(/^enable chromium_experimental_subgroup_matrix;$/m, '')
    .replace(/^diagnostic\(off, chromium\.subgroup_matrix_uniformity\);$/m, '')
    .replace(/subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>\(\s*&sm,/g, 'emuLoadLeft(')
    .replace(/subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>\(\s*&sm,/g, 'emuLoadRight(')
    .replace(/subgroup_matrix_(left<i8, 32, 16>|right<i8, 16, 32>)/g, 'EmuIn')
    .replaceAll('subgroup_matrix_result<i32, 16, 16>', 'EmuResult')
    .replace(/subgroupMatrixStore\(&sm,/g, 'emuStore(')
    .replaceAll('subgroupMatrixMultiplyAccumulate(', 'emuMma(');
  if (/subgroup_matrix|subgroupMatrix/.test(out)) throw new Error('emulateSubgroupMatrix: a builtin was left over');
  return `${out}\n${SHIM}`;
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
