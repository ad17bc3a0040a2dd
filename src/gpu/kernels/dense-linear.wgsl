// Dense Y = X·Wᵀ + b (optionally GELU). X: tokens x K, W: N x K (row-major, as Linear.weight),
// Y: tokens x N. Both operands are K-contiguous, so both tiles are loaded the same way and
// stored k-major in workgroup memory; each invocation then keeps a (4*RM) x (4*RN) block of
// outputs in registers and reads vec4 rows of the two tiles per k (outer product).
// Global loads for the next K-step are issued into registers before the current step's math.

struct Params { tokens: u32, k: u32, n: u32, _pad: u32 }
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

// k-major tiles: element (k, m) at float index k * BM + m.
var<workgroup> As: array<vec4<f32>, {{BK}} * {{BM}} / 4>;
var<workgroup> Bs: array<vec4<f32>, {{BK}} * {{BN}} / 4>;

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

  var k0 = 0u;
  loop {
    if (k0 >= K) { break; }
    // 1. Global -> registers (first step only; later steps were prefetched below).
    if (k0 == 0u) {
//#if VEC
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = k0 + (i % (BK / 4u)) * 4u;
        ra{{L}} = vec4<f32>(0.0);
        if (i < BM * BK / 4u && m0 + row < M && gk < K) { ra{{L}} = x[((m0 + row) * K + gk) / 4u]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = k0 + (i % (BK / 4u)) * 4u;
        rb{{L}} = {{WEIGHT_QUAD}}();
        if (i < BN * BK / 4u && n0 + row < N && gk < K) { rb{{L}} = w[((n0 + row) * K + gk) / 4u]; }
      }
//#end
//#else
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = k0 + i % BK;
        ra{{L}} = 0.0;
        if (i < BM * BK && m0 + row < M && gk < K) { ra{{L}} = x[(m0 + row) * K + gk]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = k0 + i % BK;
        rb{{L}} = 0.0;
        if (i < BN * BK && n0 + row < N && gk < K) { rb{{L}} = w[(n0 + row) * K + gk]; }
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
        As[((kk + {{C}}u) * BM + row) / 4u][row % 4u] = ra{{L}}[{{C}}];
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
        Bs[((kk + {{C}}u) * BN + row) / 4u][row % 4u] = b[{{C}}];
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
        As[((i % BK) * BM + row) / 4u][row % 4u] = ra{{L}};
      }
    }
//#end
//#unroll L {{B_LOADS}}
    {
      let i = tid + {{L}}u * THREADS;
      if (i < BN * BK) {
        let row = i / BK;
        Bs[((i % BK) * BN + row) / 4u][row % 4u] = rb{{L}};
      }
    }
//#end
//#endif
    workgroupBarrier();

    // 3. Prefetch the next K-step into registers while this one is computed.
    let kn = k0 + BK;
    if (kn < K) {
//#if VEC
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = kn + (i % (BK / 4u)) * 4u;
        ra{{L}} = vec4<f32>(0.0);
        if (i < BM * BK / 4u && m0 + row < M && gk < K) { ra{{L}} = x[((m0 + row) * K + gk) / 4u]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / (BK / 4u);
        let gk = kn + (i % (BK / 4u)) * 4u;
        rb{{L}} = {{WEIGHT_QUAD}}();
        if (i < BN * BK / 4u && n0 + row < N && gk < K) { rb{{L}} = w[((n0 + row) * K + gk) / 4u]; }
      }
//#end
//#else
//#unroll L {{A_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = kn + i % BK;
        ra{{L}} = 0.0;
        if (i < BM * BK && m0 + row < M && gk < K) { ra{{L}} = x[(m0 + row) * K + gk]; }
      }
//#end
//#unroll L {{B_LOADS}}
      {
        let i = tid + {{L}}u * THREADS;
        let row = i / BK;
        let gk = kn + i % BK;
        rb{{L}} = 0.0;
        if (i < BN * BK && n0 + row < N && gk < K) { rb{{L}} = w[(n0 + row) * K + gk]; }
      }
//#end
//#endif
    }

    // 4. Outer products over the K-step (fully unrolled: accumulators stay in registers).
//#unroll KK {{BK}}
    {
//#unroll I {{RM}}
      let a{{I}} = As[{{KK}}u * (BM / 4u) + {{I}}u * WY + ty];
//#end
//#unroll J {{RN}}
      let b{{J}} = Bs[{{KK}}u * (BN / 4u) + {{J}}u * WX + tx];
//#end
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

  // Epilogue: rows m0 + I*4*WY + 4*ty + II, columns n0 + J*4*WX + 4*tx + c.
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
          y[(row * N + col) / 4u] = vec4<f32>(hp_epilogue(v[0], col), hp_epilogue(v[1], col + 1u),
            hp_epilogue(v[2], col + 2u), hp_epilogue(v[3], col + 3u));
        }
//#else
//#unroll C 4
        if (col + {{C}}u < N) { y[row * N + col + {{C}}u] = hp_epilogue(v[{{C}}], col + {{C}}u); }
//#end
//#endif
      }
//#end
    }
  }
//#end
//#end
}
