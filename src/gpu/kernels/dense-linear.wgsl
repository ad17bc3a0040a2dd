// Dense Y = X·Wᵀ + b (optionally GELU). X: tokens x K, W: N x K (row-major, as Linear.weight),
// Y: tokens x N. Both operands are K-contiguous, so both tiles are loaded the same way and
// stored k-major in workgroup memory; each invocation then keeps a (4*RM) x (4*RN) block of
// outputs in registers and reads vec4 rows of the two tiles per k (outer product).
// Global loads for the next K-step are issued into registers before the current step's math.
// Split-K: workgroup z computes the K-range [z*ks, min(K, (z+1)*ks)) (ks a multiple of BK) and
// writes its partial sums to slice z of y (tokens x N each); slice 0 carries the bias, so the
// slices add up to Y (the residual + LayerNorm kernel adds them). One slice: ks = K, z = 0.
// With vec4 loads the k-major tiles' vec4 columns are XOR-permuted per K-quad (SWIZZLE), so the
// transposing stores of a warp (8 rows x 4 K-quads) hit 32 distinct banks instead of 8 (4-way
// conflicts); the reads apply the same permutation (a constant per unrolled step). On the H200
// TinyBERT's linears at 4096 tokens ran 3-13 % faster so (BENCHMARKS.md, issue 19 fifth pass).

struct Params { tokens: u32, k: u32, n: u32, ks: u32 }
@group(0) @binding(0) var<uniform> params: Params;
//#if VEC
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<{{WEIGHT_QUAD}}>; // weight-quad.wgsl
//#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
//#endif
@group(0) @binding(3) var<storage, read> bias: array<f32>;
//#if VEC_OUT
// N % 4 == 0: each thread's four adjacent outputs of a row are one vec4 store (a quarter of the
// store instructions, each writing 16 bytes).
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;
//#else
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
//#endif

const WX = {{WX}}u;
const WY = {{WY}}u;
const THREADS = {{WX}}u * {{WY}}u;
const BM = {{BM}}u; // = WY * 4 * RM
const BN = {{BN}}u; // = WX * 4 * RN
const BK = {{BK}}u;

// k-major tiles: element (k, m) at float index k * BM + m. LDS2D: as [k][m / 4] arrays, so the
// unrolled reads index the outer array by a constant and the bounds clamp (WGSL's robustness)
// applies only to the inner, loop-invariant column.
//#if LDS2D
var<workgroup> As: array<array<vec4<f32>, {{BM}} / 4>, {{BK}}>;
var<workgroup> Bs: array<array<vec4<f32>, {{BN}} / 4>, {{BK}}>;
//#else
var<workgroup> As: array<vec4<f32>, {{BK}} * {{BM}} / 4>;
var<workgroup> Bs: array<vec4<f32>, {{BK}} * {{BN}} / 4>;
//#endif

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params.tokens;
  let K = params.k;
  let N = params.n;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WX + tx;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let kb = wid.z * params.ks;
  let ke = min(K, kb + params.ks);

//#unroll I {{RM}}
//#unroll II 4
//#unroll J {{RN}}
  var acc_{{I}}_{{II}}_{{J}} = vec4<f32>(0.0);
//#end
//#end
//#end

  // Staging registers for one K-step of both tiles.
//#if VEC
//#unroll L {{A_LOADS}}
  var ra{{L}} = vec4<f32>(0.0);
//#end
// W stays as loaded ({{WEIGHT_QUAD}}) until it is stored to workgroup memory: unpacking f16
// right after the prefetch would make the math wait for the load it is meant to hide.
//#unroll L {{B_LOADS}}
  var rb{{L}} = {{WEIGHT_QUAD}}();
//#end
//#else
//#unroll L {{A_LOADS}}
  var ra{{L}} = 0.0;
//#end
//#unroll L {{B_LOADS}}
  var rb{{L}} = 0.0;
//#end
//#endif

  var k0 = kb;
  loop {
    if (k0 >= ke) { break; }
    // 1. Global -> registers (first step only; later steps were prefetched below).
    if (k0 == kb) {
//#if VEC
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = k0 + (i % (BK / 4u)) * 4u;
        ra{{L}} = vec4<f32>(0.0);
        if (i < BM * BK / 4u && m0 + row < M && gk < ke) { ra{{L}} = x[((m0 + row) * K + gk) / 4u]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = k0 + (i % (BK / 4u)) * 4u;
        rb{{L}} = {{WEIGHT_QUAD}}();
        if (i < BN * BK / 4u && n0 + row < N && gk < ke) { rb{{L}} = w[((n0 + row) * K + gk) / 4u]; }
      }
//#end
//#else
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = k0 + i % BK;
        ra{{L}} = 0.0;
        if (i < BM * BK && m0 + row < M && gk < ke) { ra{{L}} = x[(m0 + row) * K + gk]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = k0 + i % BK;
        rb{{L}} = 0.0;
        if (i < BN * BK && n0 + row < N && gk < ke) { rb{{L}} = w[(n0 + row) * K + gk]; }
      }
//#end
//#endif
    }

    // 2. Registers -> workgroup memory, transposed to k-major.
//#if VEC
//#unroll L {{A_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < BM * BK / 4u) {
        let row = i / (BK / 4u);
        let kk = (i % (BK / 4u)) * 4u;
//#unroll C 4
//#if LDS2D
        As[kk + {{C}}u][swz(row / 4u, kk)][row % 4u] = ra{{L}}[{{C}}];
//#else
        As[(kk + {{C}}u) * (BM / 4u) + swz(row / 4u, kk)][row % 4u] = ra{{L}}[{{C}}];
//#endif
//#end
      }
    }
//#end
//#unroll L {{B_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < BN * BK / 4u) {
        let row = i / (BK / 4u);
        let kk = (i % (BK / 4u)) * 4u;
        let b = toQuad(rb{{L}});
//#unroll C 4
//#if LDS2D
        Bs[kk + {{C}}u][swz(row / 4u, kk)][row % 4u] = b[{{C}}];
//#else
        Bs[(kk + {{C}}u) * (BN / 4u) + swz(row / 4u, kk)][row % 4u] = b[{{C}}];
//#endif
//#end
      }
    }
//#end
//#else
//#unroll L {{A_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < BM * BK) {
        let row = i / BK;
//#if LDS2D
        As[i % BK][row / 4u][row % 4u] = ra{{L}};
//#else
        As[((i % BK) * BM + row) / 4u][row % 4u] = ra{{L}};
//#endif
      }
    }
//#end
//#unroll L {{B_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < BN * BK) {
        let row = i / BK;
//#if LDS2D
        Bs[i % BK][row / 4u][row % 4u] = rb{{L}};
//#else
        Bs[((i % BK) * BN + row) / 4u][row % 4u] = rb{{L}};
//#endif
      }
    }
//#end
//#endif
    workgroupBarrier();

    // 3. Prefetch the next K-step into registers while this one is computed.
    let kn = k0 + BK;
    if (kn < ke) {
//#if VEC
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = kn + (i % (BK / 4u)) * 4u;
        ra{{L}} = vec4<f32>(0.0);
        if (i < BM * BK / 4u && m0 + row < M && gk < ke) { ra{{L}} = x[((m0 + row) * K + gk) / 4u]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = kn + (i % (BK / 4u)) * 4u;
        rb{{L}} = {{WEIGHT_QUAD}}();
        if (i < BN * BK / 4u && n0 + row < N && gk < ke) { rb{{L}} = w[((n0 + row) * K + gk) / 4u]; }
      }
//#end
//#else
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = kn + i % BK;
        ra{{L}} = 0.0;
        if (i < BM * BK && m0 + row < M && gk < ke) { ra{{L}} = x[(m0 + row) * K + gk]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = kn + i % BK;
        rb{{L}} = 0.0;
        if (i < BN * BK && n0 + row < N && gk < ke) { rb{{L}} = w[(n0 + row) * K + gk]; }
      }
//#end
//#endif
    }

    // 4. Outer products over the K-step (fully unrolled: accumulators stay in registers).
//#unroll KK {{BK}}
    {
//#if LDS2D
//#unroll I {{RM}}
      let a{{I}} = As[{{KK}}][swz({{I}}u * WY + ty, {{KK}}u)];
//#end
//#unroll J {{RN}}
      let b{{J}} = Bs[{{KK}}][swz({{J}}u * WX + tx, {{KK}}u)];
//#end
//#else
//#unroll I {{RM}}
      let a{{I}} = As[{{KK}}u * (BM / 4u) + swz({{I}}u * WY + ty, {{KK}}u)];
//#end
//#unroll J {{RN}}
      let b{{J}} = Bs[{{KK}}u * (BN / 4u) + swz({{J}}u * WX + tx, {{KK}}u)];
//#end
//#endif
//#unroll I {{RM}}
//#unroll II 4
//#unroll J {{RN}}
      acc_{{I}}_{{II}}_{{J}} = fma(vec4<f32>(a{{I}}[{{II}}]), b{{J}}, acc_{{I}}_{{II}}_{{J}});
//#end
//#end
//#end
    }
//#end
    workgroupBarrier();
    k0 = kn;
  }

  // Epilogue: rows m0 + I*4*WY + 4*ty + II, columns n0 + J*4*WX + 4*tx + c, of slice z.
  let ys = wid.z * M * N;
//#unroll I {{RM}}
//#unroll II 4
  {
    let row = m0 + {{I}}u * 4u * WY + 4u * ty + {{II}}u;
    if (row < M) {
//#unroll J {{RN}}
      {
        let col = n0 + {{J}}u * 4u * WX + 4u * tx;
        let v = acc_{{I}}_{{II}}_{{J}};
//#if VEC_OUT
        if (col < N) {
//#if SPLIT
          // Partial sums; only slice 0 adds the bias (the runner refuses GELU with slices).
          var o = v;
          if (wid.z == 0u) { o += vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]); }
          y[(ys + row * N + col) / 4u] = o;
//#else
          y[(row * N + col) / 4u] = vec4<f32>(hp_epilogue(v[0], col), hp_epilogue(v[1], col + 1u),
            hp_epilogue(v[2], col + 2u), hp_epilogue(v[3], col + 3u));
//#endif
        }
//#else
//#unroll C 4
//#if SPLIT
        if (col + {{C}}u < N) {
          y[ys + row * N + col + {{C}}u] = v[{{C}}] + select(0.0, bias[col + {{C}}u], wid.z == 0u);
        }
//#else
        if (col + {{C}}u < N) { y[row * N + col + {{C}}u] = hp_epilogue(v[{{C}}], col + {{C}}u); }
//#endif
//#end
//#endif
      }
//#end
    }
  }
//#end
//#end
}

// Vec4 column v of a k-major tile row at K-index k (SWIZZLE, the vec4-load path: XOR-permuted by
// k's K-quad within aligned groups of 8 vec4s, so BM/4 and BN/4 must be multiples of 8).
fn swz(v: u32, k: u32) -> u32 {
//#if SWIZZLE
  return v ^ (((k / 4u) & 3u) << 1u);
//#else
  return v;
//#endif
}
