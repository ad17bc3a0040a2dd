// Shared epilogue of the linear kernels: bias, then optionally BERT's erf-exact GELU,
// x * Phi(x) = x * (1 + erf(x / sqrt 2)) / 2. WGSL has no erf: erfc from Numerical Recipes'
// Chebyshev fit (fractional error < 1.2e-7 everywhere), used on |z| so that Phi of large
// negative x keeps its relative precision instead of cancelling 1 + erf(x).
fn hp_erfc_abs(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
          t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
          t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(p);
}

fn hp_gelu(x: f32) -> f32 {
  let half_erfc = 0.5 * hp_erfc_abs(abs(x) * 0.70710678118654752);
  return x * select(half_erfc, 1.0 - half_erfc, x >= 0.0);
}

fn hp_epilogue(v: f32, col: u32) -> f32 {
  var r = v;
//#if BIAS
  r = r + bias[col];
//#endif
//#if GELU
  r = hp_gelu(r);
//#endif
  return r;
}
