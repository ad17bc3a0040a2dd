// What the fused linear + bias + residual + LayerNorm kernels share (linear-addln-dense.wgsl,
// linear-addln-hp.wgsl): x = LayerNorm(a · Wᵀ + b + x) in place, BERT's attention-output and
// FFN-output steps. Each workgroup owns TM whole token rows, so the row statistics are taken in
// the same dispatch; WG threads hold output columns lid + j*WG (j < PER) of every row, in
// acc[r * PER + j]. LayerNorm is two-pass (mean, then centred variance) as the CPU reference and
// add-layernorm.wgsl. Prepended: consts H, K (input width), TM, WG (a power of two),
// PER = ceil(H / WG), and the kernel's own.

struct Params { tokens: u32, _p0: u32, eps: f32, _p1: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
/** gamma (H) then beta (H). */
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

var<workgroup> red: array<f32, TM * WG>;

/** Per-row sums over the workgroup of each thread's TM partial sums. */
fn sum_rows(v: array<f32, TM>, lid: u32) -> array<f32, TM> {
  for (var r = 0u; r < TM; r++) { red[r * WG + lid] = v[r]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      for (var r = 0u; r < TM; r++) { red[r * WG + lid] += red[r * WG + lid + s]; }
    }
    workgroupBarrier();
  }
  var out: array<f32, TM>;
  for (var r = 0u; r < TM; r++) { out[r] = red[r * WG]; }
  workgroupBarrier(); // nobody overwrites red before everyone has read the sums
  return out;
}

/** Adds bias and residual to the rows' sums `acc_in`, normalises each row and stores it in x. */
fn add_ln_store(acc_in: array<f32, TM * PER>, t0: u32, lid: u32) {
  var acc = acc_in;
  // Bias + residual, then the rows' mean and centred variance.
  var s: array<f32, TM>;
  for (var r = 0u; r < TM; r++) {
    let t = min(t0 + r, p.tokens - 1u); // rows past the end compute a duplicate, never stored
    for (var j = 0u; j < PER; j++) {
      let col = lid + j * WG;
      if (col < H) {
        let v = acc[r * PER + j] + bias[col] + x[t * H + col];
        acc[r * PER + j] = v;
        s[r] += v;
      }
    }
  }
  let sums = sum_rows(s, lid);
  var mean: array<f32, TM>;
  var q2: array<f32, TM>;
  for (var r = 0u; r < TM; r++) {
    mean[r] = sums[r] / f32(H);
    for (var j = 0u; j < PER; j++) {
      if (lid + j * WG < H) { let d = acc[r * PER + j] - mean[r]; q2[r] += d * d; }
    }
  }
  let vars = sum_rows(q2, lid);
  for (var r = 0u; r < TM; r++) {
    let t = t0 + r;
    if (t >= p.tokens) { break; }
    let inv = inverseSqrt(vars[r] / f32(H) + p.eps);
    for (var j = 0u; j < PER; j++) {
      let col = lid + j * WG;
      if (col < H) { x[t * H + col] = (acc[r * PER + j] - mean[r]) * inv * gamma_beta[col] + gamma_beta[H + col]; }
    }
  }
}
