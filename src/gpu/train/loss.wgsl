// Per sequence: loss = (1 - α)·CE(logits, label) + α·T²·KL(softmax(teacher/T) || softmax(logits/T))
// and its gradient with respect to the logits, divided by the batch (the loss is the batch
// mean). α applies only with teacher logits. Uniform: u0 = batch, u1 = labels, u2 = has teacher,
// f0 = T, f1 = α.
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> label: array<u32>;
@group(0) @binding(3) var<storage, read> teacher: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

/** log Σ exp(z/t) over the row. */
fn log_sum_exp(z0: u32, n: u32, t: f32, student: bool) -> f32 {
  var mx = -3.0e38;
  for (var c = 0u; c < n; c++) { mx = max(mx, select(teacher[z0 + c], logits[z0 + c], student) / t); }
  var s = 0.0;
  for (var c = 0u; c < n; c++) { s += exp(select(teacher[z0 + c], logits[z0 + c], student) / t - mx); }
  return mx + log(s);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.x;
  let batch = p.u0;
  if (b >= batch) { return; }
  let n = p.u1;
  let z0 = b * n;
  let T = p.f0;
  let alpha = select(0.0, p.f1, p.u2 != 0u);
  let lse = log_sum_exp(z0, n, 1.0, true);
  var l = -(1.0 - alpha) * (logits[z0 + label[b]] - lse);
  for (var c = 0u; c < n; c++) {
    let onehot = select(0.0, 1.0, c == label[b]);
    dlogits[z0 + c] = (1.0 - alpha) * (exp(logits[z0 + c] - lse) - onehot) / f32(batch);
  }
  if (alpha > 0.0) {
    let ls = log_sum_exp(z0, n, T, true);
    let lt = log_sum_exp(z0, n, T, false);
    for (var c = 0u; c < n; c++) {
      let log_ps = logits[z0 + c] / T - ls;
      let log_pt = teacher[z0 + c] / T - lt;
      let pt = exp(log_pt);
      l += alpha * T * T * pt * (log_pt - log_ps);
      dlogits[z0 + c] += alpha * T * (exp(log_ps) - pt) / f32(batch);
    }
  }
  loss[b] = l;
}
