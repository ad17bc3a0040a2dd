// Dense int8 Y = X·Wᵀ + b on subgroup matrices (chromium_experimental_subgroup_matrix; tensor
// cores where the GPU has them): i8 x i8 -> i32 fragments of 16 x 16 x 32, the same exact
// integer sums as int8-linear.wgsl and the same f32 epilogue. One subgroup per workgroup (so
// every matrix operand is uniform) computes a (16 SM) x (16 SN) block of Y straight from the
// packed codes in storage: the left operand is X's rows (row-major), the right one W's rows
// read column-major (W is N x K, the right operand K x N). The i32 results go through a small
// workgroup tile for the per-element epilogue. Needs tokens % (16 SM) == 0, N % (16 SN) == 0,
// K % 32 == 0 (the runner falls back to int8-linear.wgsl otherwise).
// Offsets and strides count i8 components per Dawn's description; OFF_DIV / STRIDE_DIV = 4
// express them in i32 words instead, for implementations that count the array's elements.
enable chromium_experimental_subgroup_matrix;

struct Params { tokens: u32, n: u32, xw: u32, kw: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xq: array<i32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> wq: array<i32>;
@group(0) @binding(4) var<storage, read> ws: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> cols: array<u32>; // unused (the layout of int8-linear)
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

const LANES = {{LANES}}u;
const SM = {{SM}}u;
const SN = {{SN}}u;
const OFF_DIV = {{OFF_DIV}}u;
const STRIDE_DIV = {{STRIDE_DIV}}u;

var<workgroup> tile: array<i32, 256>;

fn exactF32(a: i32) -> f32 {
  let lo = a & 255;
  return f32(a - lo) + f32(lo);
}

/** The product rounded before the bias is added (no FMA): see int8-linear.wgsl. */
fn rounded(p: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(p) ^ (params.tokens >> 31u));
}

@compute @workgroup_size({{LANES}}, 1, 1)
fn main(@builtin(local_invocation_index) lane: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let N = params.n;
  let K = params.kw * 4u; // i8 components per row
  let m0 = wid.y * 16u * SM;
  let n0 = wid.x * 16u * SN;
  var acc: array<array<subgroup_matrix_result<i32, 16, 16>, {{SN}}>, {{SM}}>;
  for (var k = 0u; k < K; k += 32u) {
    var a: array<subgroup_matrix_left<i8, 32, 16>, {{SM}}>;
    var b: array<subgroup_matrix_right<i8, 16, 32>, {{SN}}>;
    for (var i = 0u; i < SM; i++) {
      a[i] = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(
        &xq, ((m0 + 16u * i) * K + k) / OFF_DIV, false, K / STRIDE_DIV
      );
    }
    for (var j = 0u; j < SN; j++) {
      b[j] = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(
        &wq, ((n0 + 16u * j) * K + k) / OFF_DIV, true, K / STRIDE_DIV
      );
    }
    for (var i = 0u; i < SM; i++) {
      for (var j = 0u; j < SN; j++) { acc[i][j] = subgroupMatrixMultiplyAccumulate(a[i], b[j], acc[i][j]); }
    }
  }
  for (var i = 0u; i < SM; i++) {
    for (var j = 0u; j < SN; j++) {
      subgroupMatrixStore(&tile, 0u, acc[i][j], false, 16u);
      workgroupBarrier();
      for (var e = lane; e < 256u; e += LANES) {
        let row = m0 + 16u * i + e / 16u;
        let col = n0 + 16u * j + e % 16u;
        y[row * N + col] = hp_epilogue(rounded(exactF32(tile[e]) * (xs[row] * ws[col])), col);
      }
      workgroupBarrier();
    }
  }
}
