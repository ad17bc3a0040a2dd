// The float64 reference backward (core/train) against central finite differences of its own
// forward: the ground truth for the WGSL kernels must itself be right.
import { describe, expect, it } from 'vitest';
import {
  adamwStep,
  attentionBackward,
  attentionForward,
  erf64,
  gelu64,
  geluGrad64,
  layerNormBackward,
  layerNormForward,
  linearBackward,
  linearForward,
  lossForwardBackward,
  type Vec,
} from '../../../src/core/train/reference-backward';
import { rng } from '../../../src/core/random';

const rand = rng(3);
const vec = (n: number, scale = 1): Vec => Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
const dot = (a: Vec, b: Vec) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Central differences of f at x (f is a scalar function of the whole vector). */
function numericGrad(f: (x: Vec) => number, x: Vec, h = 1e-6): Vec {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = f(x);
    x[i] = keep - h;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

function expectClose(a: Vec, b: Vec, tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
}

describe('reference backward (float64) vs finite differences', () => {
  it('erf64 matches known values', () => {
    expect(erf64(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf64(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf64(3.5)).toBeCloseTo(0.9999992569016276, 14);
  });

  it('linear: dX, dW (masked), db', () => {
    const rows = 3,
      out = 4,
      nIn = 5;
    const x = vec(rows * nIn),
      w = vec(out * nIn),
      b = vec(out),
      r = vec(rows * out);
    const mask = Uint8Array.from({ length: out * nIn }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const { dx, dw, db } = linearBackward(r, x, rows, w, out, nIn, mask);
    expectClose(
      dx,
      numericGrad((xx) => dot(linearForward(xx, rows, w, b, out, nIn), r), x),
    );
    const full = numericGrad((ww) => dot(linearForward(x, rows, ww, b, out, nIn), r), w);
    expectClose(
      dw,
      full.map((g, i) => (mask[i] ? g : 0)),
    );
    expectClose(
      db,
      numericGrad((bb) => dot(linearForward(x, rows, w, bb, out, nIn), r), b),
    );
  });

  it('GELU derivative', () => {
    for (const x of [-4, -1.3, -0.2, 0, 0.4, 2.2, 5]) {
      expect(geluGrad64(x)).toBeCloseTo((gelu64(x + 1e-6) - gelu64(x - 1e-6)) / 2e-6, 8);
    }
  });

  it('LayerNorm: dz, dgamma, dbeta', () => {
    const h = 6,
      rows = 3;
    const z = vec(rows * h, 2),
      gamma = vec(h),
      beta = vec(h),
      r = vec(rows * h);
    const saved = layerNormForward(z, h, gamma, beta, 1e-5);
    const { dz, dgamma, dbeta } = layerNormBackward(r, saved, h, gamma);
    expectClose(
      dz,
      numericGrad((zz) => dot(layerNormForward(zz, h, gamma, beta, 1e-5).y, r), z),
    );
    expectClose(
      dgamma,
      numericGrad((g) => dot(layerNormForward(z, h, g, beta, 1e-5).y, r), gamma),
    );
    expectClose(
      dbeta,
      numericGrad((bb) => dot(layerNormForward(z, h, gamma, bb, 1e-5).y, r), beta),
    );
  });

  it('masked multi-head attention: dQ, dK, dV', () => {
    const s = { batch: 2, seq: 4, hidden: 6, heads: 2 };
    const n = s.batch * s.seq * s.hidden;
    const q = vec(n),
      k = vec(n),
      v = vec(n),
      r = vec(n);
    const mask = [1, 1, 1, 0, 1, 1, 0, 0];
    const { p } = attentionForward(q, k, v, mask, s);
    const { dq, dk, dv } = attentionBackward(r, p, q, k, v, s);
    expectClose(
      dq,
      numericGrad((x) => dot(attentionForward(x, k, v, mask, s).ctx, r), q),
    );
    expectClose(
      dk,
      numericGrad((x) => dot(attentionForward(q, x, v, mask, s).ctx, r), k),
    );
    expectClose(
      dv,
      numericGrad((x) => dot(attentionForward(q, k, x, mask, s).ctx, r), v),
    );
    // Padding keys get no weight, so no gradient.
    for (let e = 0; e < s.hidden; e++) expect(dk[3 * s.hidden + e]).toBe(0);
  });

  it('cross-entropy + distillation: dlogits', () => {
    const labels = [1, 0, 2],
      n = 3;
    const logits = vec(9, 3),
      teacher = vec(9, 3);
    for (const o of [
      { temperature: 1, alpha: 0 },
      { temperature: 2.5, alpha: 0.7 },
    ]) {
      const { dlogits } = lossForwardBackward(logits, labels, teacher, n, o);
      expectClose(
        dlogits,
        numericGrad((z) => lossForwardBackward(z, labels, teacher, n, o).loss, logits),
      );
    }
    // A perfect, confident student has ~zero CE.
    expect(
      lossForwardBackward(Float64Array.of(20, -20), [0], null, 2, { temperature: 1, alpha: 0.5 }).loss,
    ).toBeLessThan(1e-12);
  });

  it('AdamW: the first step moves each weight by lr against its gradient sign (plus decay)', () => {
    const p = Float64Array.of(1, -2, 0.5),
      m = new Float64Array(3),
      v = new Float64Array(3);
    adamwStep(p, [0.3, -4, 0], m, v, 1, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(p[0]).toBeCloseTo(1 - 0.1 - 0.001, 6);
    expect(p[1]).toBeCloseTo(-2 + 0.1 + 0.002, 6);
    expect(p[2]).toBeCloseTo(0.5 - 0.0005, 9);
  });
});
