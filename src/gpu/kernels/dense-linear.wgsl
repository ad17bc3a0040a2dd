// Dense Y = X·Wᵀ + b (optionally GELU). X: tokens x K, W: N x K (row-major, as Linear.weight),
// Y: tokens x N. Both operands are K-contiguous, so both tiles are loaded the same way and
// stored k-major in workgroup memory; each invocation then keeps a (4*RM) x (4*RN) block of
// outputs in registers and reads vec4 rows of the two tiles per k (outer product).
// Global loads for the next K-step are issued into registers before the current step's math.
// Split-K: workgroup z computes the K-range [z*ks, min(K, (z+1)*ks)) (ks a multiple of BK) and
// writes its partial sums to slice z of y (tokens x N each); slice 0 carries the bias, so the
// slices add up to Y (the residual + LayerNorm kernel adds them). One slice: ks = K, z = 0.
// With vec4 loads the k-major tiles' vec4 columns are XOR-permuted per K-quad (SWIZZLE_A/_B), so the
// transposing stores of a warp (8 rows x 4 K-quads) hit 32 distinct banks instead of 8 (4-way
// conflicts); the reads apply the same permutation (a constant per unrolled step). On the H200
// TinyBERT's linears at 4096 tokens ran 3-13 % faster so (BENCHMARKS.md, issue 19 fifth pass).
// The LayerNorm deferred to the next linear (the encoder's deferred mode, fewer dispatches):
// STATS_OUT (attention output / FFN-out): y = X·Wᵀ + b + r (r the residual, binding 5), and per row
// the mean and centred sum of squares of this workgroup's BN columns, (mean, M2, n, 0) in slot
// wid.x of SLOTS a row (binding 6; the first column of workgroups zeroes the unused slots).
// NORM_IN (Q/K/V, FFN-in): X is that un-normalised y; the prologue combines each row's slots
// (Chan et al.: mean = sum n mean_t / K, M2 = sum M2_t + n_t (mean_t - mean)^2), and X's tile is
// normalised (gamma, beta of binding 6) as it is stored to workgroup memory; the first column of
// workgroups also writes the normalised rows to xn (binding 7), the residual of the next step.

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
//#if STATS_OUT
@group(0) @binding(5) var<storage, read> resid: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> stats_out: array<vec4<f32>>;
const SLOTS = {{SLOTS}}u;
var<workgroup> red: array<vec4<f32>, {{BM}} / 4 * {{WX}}>;
//#endif
//#if NORM_IN
@group(0) @binding(5) var<storage, read> stats_in: array<vec4<f32>>;
/** gamma (K) then beta (K) of the deferred LayerNorm. */
@group(0) @binding(6) var<storage, read> gb_in: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> xn: array<vec4<f32>>;
const SLOTS = {{SLOTS}}u;
const KIN = {{KIN}}u;
const EPS = {{EPS}};
/** Per tile row: (mean, 1 / sqrt(var + eps)). */
var<workgroup> rs: array<vec2<f32>, {{BM}}>;
var<workgroup> gbs: array<vec4<f32>, {{KIN}} / 2>;
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

//#if NORM_IN
  for (var r = tid; r < BM; r += THREADS) {
    let row = min(m0 + r, M - 1u);
    var sm = 0.0;
    for (var t = 0u; t < SLOTS; t++) { let st = stats_in[row * SLOTS + t]; sm += st.z * st.x; }
    let mean = sm / f32(KIN);
    var m2 = 0.0;
    for (var t = 0u; t < SLOTS; t++) {
      let st = stats_in[row * SLOTS + t];
      let d = st.x - mean;
      m2 += st.y + st.z * d * d;
    }
    rs[r] = vec2<f32>(mean, inverseSqrt(m2 / f32(KIN) + EPS));
  }
  for (var q = tid; q < KIN / 2u; q += THREADS) { gbs[q] = gb_in[q]; }
  workgroupBarrier();
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
//#if NORM_IN
        // Normalised here, not at the load: the prefetch's latency stays hidden. Columns past K
        // meet zero weights; rows past the end are never stored.
        let gk = k0 + kk;
        let gq = min(gk, KIN - 4u) / 4u;
        let nrm = rs[row];
        let va = (ra{{L}} - vec4<f32>(nrm.x)) * nrm.y * gbs[gq] + gbs[KIN / 4u + gq];
        if (wid.x == 0u && m0 + row < M && gk < K) { xn[((m0 + row) * K + gk) / 4u] = va; }
//#else
        let va = ra{{L}};
//#endif
//#unroll C 4
//#if LDS2D
        As[kk + {{C}}u][swza(row / 4u, kk)][row % 4u] = va[{{C}}];
//#else
        As[(kk + {{C}}u) * (BM / 4u) + swza(row / 4u, kk)][row % 4u] = va[{{C}}];
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
        Bs[kk + {{C}}u][swzb(row / 4u, kk)][row % 4u] = b[{{C}}];
//#else
        Bs[(kk + {{C}}u) * (BN / 4u) + swzb(row / 4u, kk)][row % 4u] = b[{{C}}];
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
      let a{{I}} = As[{{KK}}][swza({{I}}u * WY + ty, {{KK}}u)];
//#end
//#unroll J {{RN}}
      let b{{J}} = Bs[{{KK}}][swzb({{J}}u * WX + tx, {{KK}}u)];
//#end
//#else
//#unroll I {{RM}}
      let a{{I}} = As[{{KK}}u * (BM / 4u) + swza({{I}}u * WY + ty, {{KK}}u)];
//#end
//#unroll J {{RN}}
      let b{{J}} = Bs[{{KK}}u * (BN / 4u) + swzb({{J}}u * WX + tx, {{KK}}u)];
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

//#if STATS_OUT
  // Epilogue: bias + residual; the rows' mean and centred sum of squares over this workgroup's
  // columns (red: every thread sums its row quads' WX partials in one order); y and the slots.
  let n0c = min(BN, N - n0);
//#unroll I {{RM}}
//#unroll II 4
  {
    let row = min(m0 + {{I}}u * 4u * WY + 4u * ty + {{II}}u, M - 1u);
//#unroll J {{RN}}
    {
      let col = n0 + {{J}}u * 4u * WX + 4u * tx;
      if (col < N) {
        acc_{{I}}_{{II}}_{{J}} += vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]) +
          resid[(row * N + col) / 4u];
      }
    }
//#end
  }
//#end
//#end
  let ones = vec4<f32>(1.0);
//#unroll I {{RM}}
  {
    var s = vec4<f32>(0.0);
//#unroll J {{RN}}
    s += vec4<f32>(dot(acc_{{I}}_0_{{J}}, ones), dot(acc_{{I}}_1_{{J}}, ones), dot(acc_{{I}}_2_{{J}}, ones),
      dot(acc_{{I}}_3_{{J}}, ones));
//#end
    red[({{I}}u * WY + ty) * WX + tx] = s;
  }
//#end
  workgroupBarrier();
//#unroll I {{RM}}
  var mean{{I}} = vec4<f32>(0.0);
  for (var t = 0u; t < WX; t++) { mean{{I}} += red[({{I}}u * WY + ty) * WX + t]; }
  mean{{I}} = mean{{I}} / f32(n0c);
//#end
  workgroupBarrier(); // everyone has read the sums before the squares overwrite them
//#unroll I {{RM}}
  {
    var s = vec4<f32>(0.0);
//#unroll J {{RN}}
    if (n0 + {{J}}u * 4u * WX + 4u * tx < N) {
      let d0 = acc_{{I}}_0_{{J}} - vec4<f32>(mean{{I}}[0]);
      let d1 = acc_{{I}}_1_{{J}} - vec4<f32>(mean{{I}}[1]);
      let d2 = acc_{{I}}_2_{{J}} - vec4<f32>(mean{{I}}[2]);
      let d3 = acc_{{I}}_3_{{J}} - vec4<f32>(mean{{I}}[3]);
      s += vec4<f32>(dot(d0, d0), dot(d1, d1), dot(d2, d2), dot(d3, d3));
    }
//#end
    red[({{I}}u * WY + ty) * WX + tx] = s;
  }
//#end
  workgroupBarrier();
//#unroll I {{RM}}
  {
    var m2 = vec4<f32>(0.0);
    for (var t = 0u; t < WX; t++) { m2 += red[({{I}}u * WY + ty) * WX + t]; }
    if (tx == 0u) {
//#unroll II 4
      {
        let row = m0 + {{I}}u * 4u * WY + 4u * ty + {{II}}u;
        if (row < M) {
          stats_out[row * SLOTS + wid.x] = vec4<f32>(mean{{I}}[{{II}}], m2[{{II}}], f32(n0c), 0.0);
          if (wid.x == 0u) {
            for (var t = (N + BN - 1u) / BN; t < SLOTS; t++) { stats_out[row * SLOTS + t] = vec4<f32>(0.0); }
          }
        }
      }
//#end
    }
  }
//#end
//#unroll I {{RM}}
//#unroll II 4
  {
    let row = m0 + {{I}}u * 4u * WY + 4u * ty + {{II}}u;
    if (row < M) {
//#unroll J {{RN}}
      {
        let col = n0 + {{J}}u * 4u * WX + 4u * tx;
        if (col < N) { y[(row * N + col) / 4u] = acc_{{I}}_{{II}}_{{J}}; }
      }
//#end
    }
  }
//#end
//#end
//#else
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
//#endif
}

// Vec4 column v of a k-major tile row at K-index k (SWIZZLE_A / SWIZZLE_B, the vec4-load path:
// XOR-permuted by k's K-quad within aligned groups of 8 vec4s, so the tile's BM/4 or BN/4 must be a
// multiple of 8; each tile is permuted or not on its own).
fn swza(v: u32, k: u32) -> u32 {
//#if SWIZZLE_A
  return v ^ (((k / 4u) & 3u) << 1u);
//#else
  return v;
//#endif
}
fn swzb(v: u32, k: u32) -> u32 {
//#if SWIZZLE_B
  return v ^ (((k / 4u) & 3u) << 1u);
//#else
  return v;
//#endif
}
