// f32 matrix products in WebAssembly SIMD: the reconstruction's forward passes, Gram sums and
// target correlations are all C += A·B, and V8 runs plain TypeScript loops at about 1 GMAC/s while
// this 4x8 register-blocked f32x4 kernel runs 7-10 (BENCHMARKS.md, "Recovery without retraining").
// The module is a few hundred bytes, assembled here (no toolchain, no binary in the tree) and
// compiled synchronously, which every browser allows for modules this small.
// Sums are f32 within one call (K <= a few hundred tokens or ~1200 features); callers that sum over
// many calls (the Gram matrices) add each call's result into float64.

import {
  ADD,
  forLoop,
  get,
  growTo,
  hasRelaxedSimd,
  i32,
  MUL,
  name,
  section,
  set,
  SHL,
  simd,
  tee,
  uleb,
  vec,
} from './wasm-asm';

/** Columns of B per kernel call: a K x 64 panel of B stays in cache while every row of A passes. */
const PANEL = 64;

export class Gemm {
  private memory: WebAssembly.Memory;
  private readonly kernel: (...args: number[]) => void;
  private readonly kernelTN: (...args: number[]) => void;
  private readonly gatherKernel: (...args: number[]) => void;
  private readonly subRowKernel: (...args: number[]) => void;
  private readonly addF64Kernel: (...args: number[]) => void;
  private readonly squaresKernel: (...args: number[]) => void;
  /** The memory as floats; replaced when the memory grows. */
  f32: Float32Array;
  private top = 0;
  /** The end of the floats kept for good (keep()): no mark reaches below it. */
  private floor = 0;

  /** `fma`: the products' multiply-adds fused (relaxed SIMD, where the engine has it: Chromium
   *  >= 114; Node 20 with --experimental-wasm-relaxed-simd), else multiply then add (the same
   *  bits on every engine). */
  constructor(readonly fma = hasRelaxedSimd()) {
    this.memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB, grown on demand
    const instance = new WebAssembly.Instance(gemmModule(fma), { env: { memory: this.memory } });
    this.kernel = instance.exports.gemm as (...args: number[]) => void;
    this.kernelTN = instance.exports.gemmTN as (...args: number[]) => void;
    this.gatherKernel = instance.exports.gather as (...args: number[]) => void;
    this.subRowKernel = instance.exports.subRow as (...args: number[]) => void;
    this.addF64Kernel = instance.exports.addF64 as (...args: number[]) => void;
    this.squaresKernel = instance.exports.squares as (...args: number[]) => void;
    this.f32 = new Float32Array(this.memory.buffer);
  }

  /** `floats` floats (16-byte aligned), zeroed unless `zero` is false (a caller that writes every
   *  one it reads skips the fill); returns their float offset. */
  alloc(floats: number, zero = true): number {
    const off = this.top;
    const end = off + Math.ceil(floats / 4) * 4;
    const bytes = end * 4;
    if (growTo(this.memory, bytes)) this.f32 = new Float32Array(this.memory.buffer);
    this.top = end;
    if (zero) this.f32.fill(0, off, end);
    return off;
  }

  /** The allocation mark, for `release`: everything allocated after it is freed. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark < this.floor) throw new RangeError('release() below floats kept for good: keep() ran inside a mark');
    this.top = mark;
  }

  /** A copy of `values` that stays for this Gemm's life (weights that every call reads: copied in
   *  once, not per call); returns its float offset. Only where no mark is out. */
  keep(values: Float32Array): number {
    const at = this.alloc(values.length, false);
    this.f32.set(values, at);
    this.floor = this.top;
    return at;
  }

  /**
   * C[i][j] += Σ_k A[i][k] · B[k][j] for i < m, j < n (float offsets and row strides into this
   * memory); m a multiple of 4, n of 8 (callers pad with zeros). With `upper`, only the column
   * panels' rows i < (panel end) are done: enough for the upper triangle of a symmetric product.
   */
  gemm(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number) {
    this.run(this.kernel, a, lda, b, ldb, c, ldc, m, n, k, false);
  }

  /** The same with A given transposed: A[i][k] at a + k·lda + i (Xᵀ Y from token-major X and Y). */
  gemmTN(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number) {
    this.run(this.kernelTN, a, lda, b, ldb, c, ldc, m, n, k, false);
  }

  /** Aᵀ B's upper triangle (and some entries below it), A given transposed (m x m from k x m). */
  gemmUpperTN(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, k: number) {
    this.run(this.kernelTN, a, lda, b, ldb, c, ldc, m, m, k, true);
  }

  /**
   * dst[t][p] = src[t][cols[p]] for t < rows, p < cols.length (float offsets and row strides into
   * this memory): the kept input columns of a row group, for the products above. In the kernel:
   * the same loop in TypeScript costs ~5 ns an element here, about 35 multiply-adds of the gemm.
   */
  gather(src: number, lds: number, cols: ArrayLike<number>, dst: number, ldd: number, rows: number): void {
    const s = cols.length;
    if (s === 0 || rows === 0) return;
    const mark = this.mark();
    const idx = this.alloc(s);
    const bytes = new Int32Array(this.memory.buffer, idx * 4, s);
    for (let p = 0; p < s; p++) bytes[p] = cols[p] * 4;
    this.gatherKernel(src * 4, lds, idx * 4, s, dst * 4, ldd, rows, 0, 0);
    this.release(mark);
  }

  /**
   * In place: row t of the rows x ld block at `p` (float offset; ld a multiple of 4) minus `v`
   * (ld values, zero past its length), for t < rows: f32 subtraction, which for two f32 values is
   * the same bits as TypeScript's float64 difference stored into a Float32Array.
   */
  subRow(p: number, ld: number, rows: number, v: Float32Array): void {
    if (ld % 4 !== 0) throw new RangeError(`subRow needs ld % 4 = 0, got ${ld}`);
    if (rows === 0) return;
    const mark = this.mark();
    const at = this.alloc(ld);
    this.f32.set(v.subarray(0, ld), at);
    this.subRowKernel(p * 4, ld, rows, at * 4, 0, 0, 0, 0, 0);
    this.release(mark);
  }

  /**
   * dst[i ldd + j] += src[i][j] (f32 at float offset `src`, row stride lds, each value as float64)
   * for i < rows and j < cols (upper: i <= j < cols only). Float64 additions in the order of the
   * TypeScript loop they replace, so the same bits; in WebAssembly, where V8 runs such typed-array
   * loops at ~5 ns an element here. `dst` is copied in and out (one memcpy each way).
   */
  addInto(dst: Float64Array, ldd: number, src: number, lds: number, rows: number, cols: number, upper = false): void {
    if (rows === 0 || cols === 0) return;
    if (upper && rows > cols) throw new RangeError('addInto upper needs rows <= cols');
    this.inF64(dst, (at) => this.addF64Kernel(at * 4, ldd, src * 4, lds, rows, cols, upper ? 1 : 0, 0, 0));
  }

  /** diag[j] += x[t][j]² for t < rows, j < d (float64, rows in order: the same bits as the loop);
   *  x at float offset `x`, row stride d. */
  addSquares(diag: Float64Array, x: number, d: number, rows: number): void {
    if (rows === 0 || d === 0) return;
    this.inF64(diag, (at) => this.squaresKernel(at * 4, x * 4, d, rows, 0, 0, 0, 0, 0));
  }

  /** Runs `kernel` on a copy of `values` in this memory (float offset), then copies it back. */
  private inF64(values: Float64Array, kernel: (at: number) => void): void {
    const mark = this.mark();
    const at = this.alloc(2 * values.length, false);
    new Float64Array(this.memory.buffer, at * 4, values.length).set(values);
    kernel(at);
    values.set(new Float64Array(this.memory.buffer, at * 4, values.length));
    this.release(mark);
  }

  private run(
    kernel: (...args: number[]) => void,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    upper: boolean,
  ): void {
    if (m % 4 !== 0 || n % 8 !== 0) throw new RangeError(`gemm needs m % 4 = 0 and n % 8 = 0, got ${m} x ${n}`);
    if (k === 0) return;
    // Upper: panels of 32, so less is done below the diagonal (each entry's sum is the same).
    const panel = upper ? PANEL / 2 : PANEL;
    for (let j = 0; j < n; j += panel) {
      const w = Math.min(panel, n - j);
      const rows = upper ? Math.min(m, roundUp(j + w, 4)) : m;
      kernel(a * 4, b * 4 + j * 4, c * 4 + j * 4, rows, w, k, lda, ldb, ldc);
    }
  }
}

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

const compiled = new Map<boolean, WebAssembly.Module>();

function gemmModule(fma: boolean): WebAssembly.Module {
  let module = compiled.get(fma);
  if (!module) compiled.set(fma, (module = new WebAssembly.Module(gemmWasm(fma))));
  return module;
}

// ---- The kernel, assembled ----
// gemm(a, b, c, m, n, k, lda, ldb, ldc), byte offsets for a, b, c; strides in floats:
//   for i in 0..m step 4, j in 0..n step 8: acc[4][2] (f32x4) = C[i..i+4][j..j+8];
//     for each k: b0, b1 = B[k][j..j+8]; acc[r][h] += splat(A[i+r][k]) · b_h; then C = acc.
// gemmTN: the same with A[i+r][k] read at A[k][i+r] (four neighbours of one row of Aᵀ).

// Locals: 9 i32 parameters, 8 i32 counters/pointers, then 11 v128.
const [A, B, C, M, N, K, LDA, LDB, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [I, J, KK, PB, PC] = [9, 10, 11, 12, 13];
const PA = 14; // PA + r: row i + r of A at column k, r < 4 (byte offsets)
const ACC = 18; // ACC + 2r + h: the accumulator of row r, columns j + 4h .. j + 4h + 4
const [B0, B1, XS] = [26, 27, 28];

const v128Load = (offset: number) => [...simd(0), 4, ...uleb(offset)];
const v128Store = (offset: number) => [...simd(11), 4, ...uleb(offset)];
const f32Load = [0x2a, 2, 0];
const LOAD32_SPLAT = (offset: number) => [...simd(9), 2, ...uleb(offset)];
const F32X4_ADD = simd(228);
const F32X4_MUL = simd(230);
const F32X4_SUB = simd(229);
const RELAXED_MADD = simd(0x105);
/** acc + x·b: f32x4.relaxed_madd where the engine has relaxed SIMD (one fused multiply-add on x64
 *  with FMA3 or arm64: one rounding instead of two), else f32x4.mul then f32x4.add. */
const madd = (acc: number, x: number, b: number, fma: boolean) =>
  fma
    ? [...get(x), ...get(b), ...get(acc), ...RELAXED_MADD]
    : [...get(acc), ...get(x), ...get(b), ...F32X4_MUL, ...F32X4_ADD];
const bytesOf = (l: number) => [...get(l), ...i32(2), ...SHL]; // floats -> bytes

const rows4 = [0, 1, 2, 3];
/** Byte offset of row r of C from PC. */
const cRow = (r: number) => [...get(PC), ...i32(r), ...get(LDC), ...MUL, ...i32(2), ...SHL, ...ADD];

/** Loads A[i + r][k] into all four lanes (v128.load32_splat: one load-broadcast, where f32.load
 *  then f32x4.splat costs a shuffle besides: ~25% more GMAC/s, the same bits); transposed, PA
 *  holds A[k][i..i+4] once for all four rows. */
function loadA(r: number, transposed: boolean): number[] {
  if (!transposed) return [...get(PA + r), ...LOAD32_SPLAT(0)];
  return [...get(PA), ...LOAD32_SPLAT(4 * r)];
}

function kernelBody(transposed: boolean, fma: boolean): number[] {
  const stepA = transposed
    ? [...get(PA), ...bytesOf(LDA), ...ADD, ...set(PA)]
    : rows4.flatMap((r) => [...get(PA + r), ...i32(4), ...ADD, ...set(PA + r)]);
  const inner = [
    ...get(PB),
    ...v128Load(0),
    ...set(B0),
    ...get(PB),
    ...v128Load(16),
    ...set(B1),
    ...rows4.flatMap((r) => [
      ...loadA(r, transposed),
      ...set(XS),
      ...[B0, B1].flatMap((bh, h) => [...madd(ACC + 2 * r + h, XS, bh, fma), ...set(ACC + 2 * r + h)]),
    ]),
    ...stepA,
    ...get(PB),
    ...bytesOf(LDB),
    ...ADD,
    ...set(PB),
  ];
  // Where row i of A starts: A + 4 (i + r) lda for each r, or A + 4 i (transposed: one pointer).
  const startA = transposed
    ? [...bytesOf(I), ...get(A), ...ADD, ...set(PA)]
    : [
        ...rows4.flatMap((r) => [
          ...get(I),
          ...i32(r),
          ...ADD,
          ...get(LDA),
          ...MUL,
          ...i32(2),
          ...SHL,
          ...get(A),
          ...ADD,
        ]),
        ...[3, 2, 1, 0].flatMap((r) => set(PA + r)),
      ];
  const tile = [
    // PC = C + 4 (i ldc + j); the accumulators start from C.
    ...get(I),
    ...get(LDC),
    ...MUL,
    ...get(J),
    ...ADD,
    ...i32(2),
    ...SHL,
    ...get(C),
    ...ADD,
    ...set(PC),
    ...rows4.flatMap((r) => [0, 1].flatMap((h) => [...cRow(r), ...v128Load(16 * h), ...set(ACC + 2 * r + h)])),
    ...startA,
    ...bytesOf(J),
    ...get(B),
    ...ADD,
    ...set(PB),
    ...forLoop(KK, K, 1, inner),
    ...rows4.flatMap((r) => [0, 1].flatMap((h) => [...cRow(r), ...get(ACC + 2 * r + h), ...v128Store(16 * h)])),
  ];
  return forLoop(I, M, 4, forLoop(J, N, 8, tile));
}

// gather(src, lds, idx, s, dst, ldd, rows, -, -): byte offsets for src, idx (int32 byte offsets of
// the columns) and dst; strides in floats. For each row t: PA = src + 4 t lds, PC = dst + 4 t ldd;
// for p < s: f32 at PC + 4p = f32 at PA + idx[p].
const [GSRC, GLDS, GIDX, GS, GDST, GLDD, GROWS] = [0, 1, 2, 3, 4, 5, 6];
const I32_LOAD = [0x28, 2, 0];
const F32_STORE = [0x38, 2, 0];

function gatherBody(): number[] {
  const element = [
    // address of dst[t][p]
    ...get(PC),
    ...bytesOf(J),
    ...ADD,
    // src[t][cols[p]]
    ...get(PA),
    ...get(GIDX),
    ...bytesOf(J),
    ...ADD,
    ...I32_LOAD,
    ...ADD,
    ...f32Load,
    ...F32_STORE,
  ];
  const row = [
    ...get(I),
    ...get(GLDS),
    ...MUL,
    ...i32(2),
    ...SHL,
    ...get(GSRC),
    ...ADD,
    ...set(PA),
    ...get(I),
    ...get(GLDD),
    ...MUL,
    ...i32(2),
    ...SHL,
    ...get(GDST),
    ...ADD,
    ...set(PC),
    ...forLoop(J, GS, 1, element),
  ];
  return forLoop(I, GROWS, 1, row);
}

// subRow(p, ld, rows, v, -, ...): byte offsets p and v; for t < rows, j < ld step 4:
// f32x4 at p + 4 (t ld + j) -= f32x4 at v + 4 j.
function subRowBody(): number[] {
  const [P, LD, ROWS, V] = [0, 1, 2, 3];
  const element = [
    ...[...get(PC), ...bytesOf(J), ...ADD, ...set(PB)],
    ...get(PB),
    ...[...get(PB), ...v128Load(0)],
    ...[...get(V), ...bytesOf(J), ...ADD, ...v128Load(0)],
    ...F32X4_SUB,
    ...v128Store(0),
  ];
  const row = [...get(I), ...get(LD), ...MUL, ...i32(2), ...SHL, ...get(P), ...ADD, ...set(PC)];
  return forLoop(I, ROWS, 1, [...row, ...forLoop(J, LD, 4, element)]);
}

// addF64(dst, ldd, src, lds, rows, cols, upper, -, -): byte offsets dst (f64) and src (f32),
// strides in elements; for i < rows, j from (upper ? i : 0) to cols: dst f64 += f64(src f32).
// squares(diag, x, d, rows, ...): for t < rows, j < d: diag f64[j] += f64(x[t][j]) · f64(x[t][j]).
const F64_LOAD = [0x2b, 3, 0];
const F64_STORE = [0x39, 3, 0];
const F64_ADD = [0xa0];
const F64_MUL = [0xa2];
const PROMOTE = [0xbb];
const SUB = [0x6b];
const SELECT = [0x1b];

function addF64Body(): number[] {
  const [DST, LDD, SRC, LDS, ROWS, COLS, UPPER] = [0, 1, 2, 3, 4, 5, 6];
  const [START, COUNT] = [KK, PA];
  const element = [
    ...[...get(PC), ...get(J), ...i32(3), ...SHL, ...ADD, ...tee(PA + 1)],
    ...[...get(PA + 1), ...F64_LOAD],
    ...[...get(PB), ...get(J), ...i32(2), ...SHL, ...ADD, ...f32Load, ...PROMOTE],
    ...F64_ADD,
    ...F64_STORE,
  ];
  const row = [
    ...[...get(I), ...i32(0), ...get(UPPER), ...SELECT, ...set(START)],
    ...[...get(COLS), ...get(START), ...SUB, ...set(COUNT)],
    ...[...get(I), ...get(LDD), ...MUL, ...get(START), ...ADD, ...i32(3), ...SHL, ...get(DST), ...ADD, ...set(PC)],
    ...[...get(I), ...get(LDS), ...MUL, ...get(START), ...ADD, ...i32(2), ...SHL, ...get(SRC), ...ADD, ...set(PB)],
    ...forLoop(J, COUNT, 1, element),
  ];
  return forLoop(I, ROWS, 1, row);
}

function squaresBody(): number[] {
  const [DIAG, X, D, ROWS] = [0, 1, 2, 3];
  const x = [...get(PB), ...get(J), ...i32(2), ...SHL, ...ADD, ...f32Load, ...PROMOTE];
  const element = [
    ...[...get(DIAG), ...get(J), ...i32(3), ...SHL, ...ADD, ...tee(PC)],
    ...[...get(PC), ...F64_LOAD, ...x, ...x, ...F64_MUL, ...F64_ADD],
    ...F64_STORE,
  ];
  const row = [...get(I), ...get(D), ...MUL, ...i32(2), ...SHL, ...get(X), ...ADD, ...set(PB)];
  return forLoop(I, ROWS, 1, [...row, ...forLoop(J, D, 1, element)]);
}

function gemmWasm(fma: boolean): Uint8Array<ArrayBuffer> {
  const code = (body0: number[]) => {
    const body = [
      ...vec([
        [9, 0x7f],
        [11, 0x7b],
      ]),
      ...body0,
      0x0b,
    ];
    return [...uleb(body.length), ...body];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 9 }, () => [0x7f])), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [0], [0], [0], [0], [0]])),
    ...section(
      7,
      vec([
        [...name('gemm'), 0x00, 0],
        [...name('gemmTN'), 0x00, 1],
        [...name('gather'), 0x00, 2],
        [...name('subRow'), 0x00, 3],
        [...name('addF64'), 0x00, 4],
        [...name('squares'), 0x00, 5],
      ]),
    ),
    ...section(
      10,
      vec([
        code(kernelBody(false, fma)),
        code(kernelBody(true, fma)),
        code(gatherBody()),
        code(subRowBody()),
        code(addF64Body()),
        code(squaresBody()),
      ]),
    ),
  ]);
}
