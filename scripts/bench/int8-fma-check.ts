// Explains the H200 int8 run's mismatches (BENCHMARKS.md, int8): for the bench's own data
// (same seeds as hp-lab bench --quant int8), how many checked outputs differ between the CPU
// reference's epilogue, f32(f32(f32(acc) * s) + b), and a fused one, f32(f32(acc) * s + b)
// (one rounding: an FMA). Equal counts mean the GPU's integer work (codes and sums) was exact
// and only the driver's multiply-add contraction differed.   npx tsx scripts/bench/int8-fma-check.ts
import { randomArray, rng, randomHP, planHP } from '../../src/gpu/kernels/random-hp';
import { sampleRows } from '../../src/gpu/kernels/cpu-reference';
import { quantizeHP, quantizeRows, type QuantizedRows } from '../../src/core/quant';
import { hpTileRowProducts } from '../../src/core/cpu/linear';

const f = Math.fround;
const checkedRows = (m: number, k: number, n: number) =>
  sampleRows(m, Math.max(4, Math.min(64, Math.floor(4e8 / (k * n)))));

function fusedDiffers(
  accOf: (xq: QuantizedRows, o: number) => number,
  x: Float32Array,
  k: number,
  n: number,
  rows: number[],
  ws: Float32Array,
  bias: Float32Array,
): number {
  let diff = 0;
  for (const r of rows) {
    const xq = quantizeRows(x.subarray(r * k, (r + 1) * k), 1, k, 8);
    for (let o = 0; o < n; o++) {
      const acc = accOf(xq, o);
      const s = f(xq.scales[0] * ws[o]);
      if (f(f(f(acc) * s) + bias[o]) !== f(f(acc) * s + bias[o])) diff++; // acc * s is exact in f64
    }
  }
  return diff;
}

function dense(m: number, k: number, n: number): number {
  const rand = rng(1);
  const x = randomArray(m * k, rand),
    w = randomArray(n * k, rand, 1 / Math.sqrt(k)),
    bias = randomArray(n, rand);
  const wq = quantizeRows(w, n, k, 8);
  const dot = (xq: QuantizedRows, o: number) => {
    let a = 0;
    for (let i = 0; i < k; i++) a += xq.q[i] * wq.q[o * k + i];
    return a;
  };
  return fusedDiffers(dot, x, k, n, checkedRows(m, k, n), wq.scales, bias);
}

function hp(m: number, k: number, n: number, tr: number, tc: number, sparsity: number): number {
  const plan = planHP(n, k, tr, tc, sparsity, 0.5);
  const rand = rng(2);
  const x = randomArray(m * k, rand),
    bias = randomArray(n, rand);
  const matrix = randomHP(n, k, tr, tc, plan.m, plan.k, rand, 1 / Math.sqrt(Math.max(1, plan.density * k)));
  const q = quantizeHP(matrix, 8);
  const acc = new Float64Array(tr);
  const dot = (xq: QuantizedRows, o: number) => {
    hpTileRowProducts(matrix, q.codes, xq.q, 0, Math.floor(o / tr), acc);
    return acc[o % tr];
  };
  return fusedDiffers(dot, x, k, n, checkedRows(m, k, n), q.scales, bias);
}

console.log(
  JSON.stringify({
    dense_4096: dense(4096, 4096, 4096),
    dense_4096x312x1200: dense(4096, 312, 1200),
    hp90_4096: hp(4096, 4096, 4096, 32, 32, 0.9),
  }),
);
