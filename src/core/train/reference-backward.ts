// Float64 forward and backward of every op the fine-tuning engine (gpu/train) runs: the ground
// truth its WGSL kernels are tested against. Each backward is itself checked against finite
// differences of its forward (tests/unit/train). Row-major everywhere; W is out x in.
// Not fast: tests only.

export type Vec = Float64Array;

/** y[rows x out] = x[rows x in] Wᵀ + b. */
export function linearForward(x: Vec, rows: number, w: Vec, b: Vec, out: number, nIn: number): Vec {
  const y = new Float64Array(rows * out);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < nIn; i++) s += x[t * nIn + i] * w[o * nIn + i];
      y[t * out + o] = s;
    }
  }
  return y;
}

/** dX = dY W; dW = dYᵀ X, only where `mask` is 1 (all when absent: the sampled product of a
 *  pruned layer); db = column sums of dY. */
export function linearBackward(
  dy: Vec,
  x: Vec,
  rows: number,
  w: Vec,
  out: number,
  nIn: number,
  mask?: Uint8Array,
): { dx: Vec; dw: Vec; db: Vec } {
  const dx = new Float64Array(rows * nIn);
  const dw = new Float64Array(out * nIn);
  const db = new Float64Array(out);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < out; o++) {
      const g = dy[t * out + o];
      db[o] += g;
      for (let i = 0; i < nIn; i++) {
        dx[t * nIn + i] += g * w[o * nIn + i];
        if (!mask || mask[o * nIn + i]) dw[o * nIn + i] += g * x[t * nIn + i];
      }
    }
  }
  return { dx, dw, db };
}

/** erfc(z) for z >= 0 to ~1e-14 relative: Maclaurin series below 2, continued fraction above
 *  (no cancellation in the tail, where GELU of a negative x needs it). */
function erfcNonNegative(z: number): number {
  if (z < 2) {
    let term = z,
      sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Lentz's method for erfc(z) = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))).
  let f = z,
    c = z,
    d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = 1 / (z + a * d);
    c = z + a / c;
    f *= c * d;
  }
  return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
}

export function erf64(x: number): number {
  const r = 1 - erfcNonNegative(Math.abs(x));
  return x < 0 ? -r : r;
}

/** x Phi(x), with Phi(x) = erfc(-x/√2)/2 computed without cancellation for negative x. */
export function gelu64(x: number): number {
  return 0.5 * x * phi2(x);
}

/** 2 Phi(x) = 1 + erf(x/√2). */
function phi2(x: number): number {
  const e = erfcNonNegative(Math.abs(x) / Math.SQRT2);
  return x >= 0 ? 2 - e : e;
}

/** d gelu / dx = Phi(x) + x phi(x). */
export function geluGrad64(x: number): number {
  return 0.5 * phi2(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

export interface LayerNormSaved {
  y: Vec;
  /** (z - mean) * inv per row. */
  xhat: Vec;
  /** 1 / sqrt(var + eps) per row. */
  inv: Vec;
}

/** y = LayerNorm(z) * gamma + beta per row of width h. */
export function layerNormForward(z: Vec, h: number, gamma: Vec, beta: Vec, eps: number): LayerNormSaved {
  const rows = z.length / h;
  const y = new Float64Array(z.length),
    xhat = new Float64Array(z.length),
    inv = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let mean = 0;
    for (let i = 0; i < h; i++) mean += z[t * h + i];
    mean /= h;
    let v = 0;
    for (let i = 0; i < h; i++) v += (z[t * h + i] - mean) ** 2;
    inv[t] = 1 / Math.sqrt(v / h + eps);
    for (let i = 0; i < h; i++) {
      xhat[t * h + i] = (z[t * h + i] - mean) * inv[t];
      y[t * h + i] = xhat[t * h + i] * gamma[i] + beta[i];
    }
  }
  return { y, xhat, inv };
}

/** dz = inv (g - mean(g) - xhat mean(g xhat)) with g = dy gamma; dgamma = Σ dy xhat; dbeta = Σ dy. */
export function layerNormBackward(
  dy: Vec,
  saved: Pick<LayerNormSaved, 'xhat' | 'inv'>,
  h: number,
  gamma: Vec,
): { dz: Vec; dgamma: Vec; dbeta: Vec } {
  const rows = dy.length / h;
  const dz = new Float64Array(dy.length),
    dgamma = new Float64Array(h),
    dbeta = new Float64Array(h);
  for (let t = 0; t < rows; t++) {
    let mg = 0,
      mgx = 0;
    for (let i = 0; i < h; i++) {
      const g = dy[t * h + i] * gamma[i];
      mg += g;
      mgx += g * saved.xhat[t * h + i];
      dgamma[i] += dy[t * h + i] * saved.xhat[t * h + i];
      dbeta[i] += dy[t * h + i];
    }
    mg /= h;
    mgx /= h;
    for (let i = 0; i < h; i++)
      dz[t * h + i] = saved.inv[t] * (dy[t * h + i] * gamma[i] - mg - saved.xhat[t * h + i] * mgx);
  }
  return { dz, dgamma, dbeta };
}

export interface AttentionShape {
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
}

/** ctx and the probabilities P [batch, heads, seq, seq] (0 at masked keys). */
export function attentionForward(
  q: Vec,
  k: Vec,
  v: Vec,
  mask: ArrayLike<number>,
  s: AttentionShape,
): { ctx: Vec; p: Vec } {
  const { batch, seq, hidden, heads } = s;
  const d = hidden / heads,
    scale = 1 / Math.sqrt(d);
  const ctx = new Float64Array(batch * seq * hidden),
    p = new Float64Array(batch * heads * seq * seq);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        const row = ((b * heads + h) * seq + i) * seq;
        const qo = (b * seq + i) * hidden + h * d;
        let max = -Infinity;
        for (let j = 0; j < seq; j++) {
          if (mask[b * seq + j] === 0) continue;
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[qo + e] * k[(b * seq + j) * hidden + h * d + e];
          p[row + j] = dot * scale;
          max = Math.max(max, p[row + j]);
        }
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += p[row + j] = mask[b * seq + j] === 0 ? 0 : Math.exp(p[row + j] - max);
        for (let j = 0; j < seq; j++) {
          p[row + j] /= sum;
          for (let e = 0; e < d; e++) ctx[qo + e] += p[row + j] * v[(b * seq + j) * hidden + h * d + e];
        }
      }
    }
  }
  return { ctx, p };
}

/** dS = P (dP - Σ_j P dP) with dP = dctx Vᵀ; dQ = scale dS K, dK = scale dSᵀ Q, dV = Pᵀ dctx. */
export function attentionBackward(
  dctx: Vec,
  p: Vec,
  q: Vec,
  k: Vec,
  v: Vec,
  s: AttentionShape,
): { dq: Vec; dk: Vec; dv: Vec } {
  const { batch, seq, hidden, heads } = s;
  const d = hidden / heads,
    scale = 1 / Math.sqrt(d);
  const dq = new Float64Array(q.length),
    dk = new Float64Array(k.length),
    dv = new Float64Array(v.length);
  const dp = new Float64Array(seq);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        const row = ((b * heads + h) * seq + i) * seq;
        const io = (b * seq + i) * hidden + h * d;
        let r = 0;
        for (let j = 0; j < seq; j++) {
          const jo = (b * seq + j) * hidden + h * d;
          let dot = 0;
          for (let e = 0; e < d; e++) {
            dot += dctx[io + e] * v[jo + e];
            dv[jo + e] += p[row + j] * dctx[io + e];
          }
          dp[j] = dot;
          r += p[row + j] * dot;
        }
        for (let j = 0; j < seq; j++) {
          const ds = p[row + j] * (dp[j] - r) * scale;
          const jo = (b * seq + j) * hidden + h * d;
          for (let e = 0; e < d; e++) {
            dq[io + e] += ds * k[jo + e];
            dk[jo + e] += ds * q[io + e];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

export interface LossOptions {
  /** Distillation temperature T (> 0). */
  temperature: number;
  /** Weight α of the distillation term: loss = (1 - α) CE + α T² KL(teacher_T || student_T). */
  alpha: number;
}

function softmax(z: ArrayLike<number>, off: number, n: number, t: number): number[] {
  let max = -Infinity;
  for (let c = 0; c < n; c++) max = Math.max(max, z[off + c] / t);
  const e = Array.from({ length: n }, (_, c) => Math.exp(z[off + c] / t - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Mean over the batch of the loss above, and its gradient with respect to the logits. */
export function lossForwardBackward(
  logits: Vec,
  labels: ArrayLike<number>,
  teacher: ArrayLike<number> | null,
  n: number,
  o: LossOptions,
): { loss: number; dlogits: Vec } {
  const batch = labels.length;
  const alpha = teacher ? o.alpha : 0;
  const T = o.temperature;
  const dlogits = new Float64Array(batch * n);
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    const p = softmax(logits, b * n, n, 1);
    loss += -(1 - alpha) * Math.log(p[labels[b]]);
    for (let c = 0; c < n; c++) dlogits[b * n + c] = (1 - alpha) * (p[c] - (c === labels[b] ? 1 : 0));
    if (teacher && alpha > 0) {
      const ps = softmax(logits, b * n, n, T),
        pt = softmax(teacher, b * n, n, T);
      for (let c = 0; c < n; c++) {
        if (pt[c] > 0) loss += alpha * T * T * pt[c] * (Math.log(pt[c]) - Math.log(ps[c]));
        dlogits[b * n + c] += alpha * T * (ps[c] - pt[c]);
      }
    }
  }
  for (let i = 0; i < dlogits.length; i++) dlogits[i] /= batch;
  return { loss: loss / batch, dlogits };
}

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** One AdamW step (decoupled decay, bias-corrected moments) in place; `step` counts from 1. */
export function adamwStep(param: Vec, grad: ArrayLike<number>, m: Vec, v: Vec, step: number, o: AdamWOptions): void {
  const c1 = 1 - o.beta1 ** step,
    c2 = 1 - o.beta2 ** step;
  for (let i = 0; i < param.length; i++) {
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * grad[i];
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * grad[i] * grad[i];
    param[i] -= o.lr * (m[i] / c1 / (Math.sqrt(v[i] / c2) + o.eps) + o.weightDecay * param[i]);
  }
}
