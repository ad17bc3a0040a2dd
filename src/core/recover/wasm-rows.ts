// The calibration forwards' element-wise steps in WebAssembly: GELU from fast-forward.ts's table
// and residual + LayerNorm, as scalar float64 code doing the very operations of the TypeScript
// they replace, in the same order (IEEE arithmetic is the same in both), so the results are the
// same bits; V8 runs those loops at ~15-20 ns an element here, this at a few (BENCHMARKS.md,
// "Recovery without retraining"). Own memory: the GELU table at 0, the rows copied in behind it.
import { ADD, forLoop, get, growTo, i32, name, section, set, SHL, uleb, vec } from './wasm-asm';

export class RowKernels {
  private readonly memory = new WebAssembly.Memory({ initial: 4 });
  private readonly geluKernel: (p: number, n: number, table: number) => void;
  private readonly addNormKernel: (...args: number[]) => void;
  private readonly softmaxKernel: (...args: number[]) => void;
  /** Math.exp's bits (fdlibm's exp, as V8 computes it), for the tests. */
  readonly exp: (x: number) => number;
  /** Byte offset of the rows, past the table. */
  private readonly base: number;

  constructor(geluTable: Float64Array) {
    const instance = new WebAssembly.Instance(rowsModule(), { env: { memory: this.memory } });
    this.geluKernel = instance.exports.gelu as RowKernels['geluKernel'];
    this.addNormKernel = instance.exports.addNorm as RowKernels['addNormKernel'];
    this.softmaxKernel = instance.exports.softmax as RowKernels['softmaxKernel'];
    this.exp = instance.exports.exp as RowKernels['exp'];
    this.base = Math.ceil(geluTable.byteLength / 16) * 16;
    growTo(this.memory, this.base);
    new Float64Array(this.memory.buffer, 0, geluTable.length).set(geluTable);
  }

  /** In place: f[i] = GELU(f[i]) from the table (fast-forward.ts's fastGelu, the same bits). */
  gelu(f: Float32Array): void {
    const at = this.base;
    growTo(this.memory, at + f.byteLength);
    const view = new Float32Array(this.memory.buffer, at, f.length);
    view.set(f);
    this.geluKernel(at, f.length, 0);
    f.set(view);
  }

  /** In place: y = LayerNorm(y + residual) row by row (width h): reference-forward's addAndNorm. */
  addNorm(y: Float32Array, residual: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number): void {
    const h = gamma.length;
    const rows = y.length / h;
    const at = this.base;
    growTo(this.memory, at + 4 * (2 * h + 2 * y.length));
    const f = new Float32Array(this.memory.buffer, at, 2 * h + 2 * y.length);
    f.set(gamma, 0);
    f.set(beta, h);
    f.set(y, 2 * h);
    f.set(residual.subarray(0, y.length), 2 * h + y.length);
    this.addNormKernel(at + 8 * h, at + 8 * h + 4 * y.length, at, at + 4 * h, rows, h, eps);
    y.set(f.subarray(2 * h, 2 * h + y.length));
  }

  /**
   * In place, for each of `rows` rows (stride ld) of f from `off`: the softmax of its first n
   * values, scaled: e_j = exp((x_j - max) · scale), then e_j / Σ e (attention's, in fast-forward.ts:
   * the same operations in the same order, exp with Math.exp's bits, so the same results).
   */
  softmax(f: Float32Array, off: number, ld: number, rows: number, n: number, scale: number): void {
    const at = this.base;
    growTo(this.memory, at + 4 * rows * ld);
    const view = new Float32Array(this.memory.buffer, at, rows * ld);
    view.set(f.subarray(off, off + rows * ld));
    this.softmaxKernel(at, n, ld, rows, scale);
    f.set(view, off);
  }
}

let compiled: WebAssembly.Module | undefined;

function rowsModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(rowsWasm());
  return compiled;
}

// ---- The kernels, assembled ----
const F32_LOAD = [0x2a, 2, 0];
const F32_STORE = [0x38, 2, 0];
const f64Load = (offset: number) => [0x2b, 3, ...uleb(offset)];
const f64 = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const [F64_ADD, F64_SUB, F64_MUL, F64_DIV, F64_SQRT] = [[0xa0], [0xa1], [0xa2], [0xa3], [0x9f]];
const [F64_LE, F64_LT] = [[0x65], [0x63]];
const PROMOTE = [0xbb]; // f64.promote_f32
const DEMOTE = [0xb6]; // f32.demote_f64
const TRUNC = [0xaa]; // i32.trunc_f64_s
const FROM_I32 = [0xb7]; // f64.convert_i32_s
const IF = [0x04, 0x40];
const RETURN = [0x0f];
const [F64_EQ, F64_NE, F64_GT, F64_GE, F64_ABS, F64_MAX] = [[0x61], [0x62], [0x64], [0x66], [0x99], [0xa5]];
const [I32_EQ, I32_GE_S, I32_EQZ, I32_MUL] = [[0x46], [0x4e], [0x45], [0x6c]];
const SELECT = [0x1b];
const ELSE = [0x05];
const END = [0x0b];
/** Byte address `base` + 4 `index`. */
const at4 = (base: number, index: number) => [...get(base), ...get(index), ...i32(2), ...SHL, ...ADD];

// gelu(p, n, table): for i < n, x = f[p + 4i]: x <= -10 -> 0; x < 10 -> the cubic of step
// j = trunc((x + 10) · 128) at t = (x + 10) · 128 - j; else x stays (fastGelu's LIMIT and STEP).
const [GP, GN, GT, GI, GQ, GA, GJ, GX, GU, GTT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

function geluBody(): number[] {
  const coeff = (k: number) => [...get(GA), ...f64Load(8 * k)];
  const cubic = [
    ...coeff(0),
    ...get(GTT),
    ...coeff(1),
    ...get(GTT),
    ...coeff(2),
    ...get(GTT),
    ...coeff(3),
    ...F64_MUL,
    ...F64_ADD,
    ...F64_MUL,
    ...F64_ADD,
    ...F64_MUL,
    ...F64_ADD,
  ];
  const inside = [
    ...[...get(GX), ...f64(10), ...F64_ADD, ...f64(128), ...F64_MUL, ...set(GU)],
    ...[...get(GU), ...TRUNC, ...set(GJ)],
    ...[...get(GU), ...get(GJ), ...FROM_I32, ...F64_SUB, ...set(GTT)],
    ...[...get(GT), ...get(GJ), ...i32(5), ...SHL, ...ADD, ...set(GA)],
    ...[...get(GQ), ...cubic, ...DEMOTE, ...F32_STORE],
  ];
  return forLoop(GI, GN, 1, [
    ...at4(GP, GI),
    ...set(GQ),
    ...[...get(GQ), ...F32_LOAD, ...PROMOTE, ...set(GX)],
    ...[...get(GX), ...f64(-10), ...F64_LE],
    ...IF,
    ...[...get(GQ), 0x43, 0, 0, 0, 0, ...F32_STORE],
    ...ELSE,
    ...[...get(GX), ...f64(10), ...F64_LT, ...IF, ...inside, ...END],
    ...END,
  ]);
}

// addNorm(y, r, gamma, beta, rows, h, eps): for each row of y (width h): y += r (each sum
// rounded to f32, as stored), mean, variance (two passes), then (y - mean) · inv · gamma + beta.
const [Y, R, G, BE, ROWS, H, EPS] = [0, 1, 2, 3, 4, 5, 6];
const [LI, LJ, LQ, LBASE, MEAN, VAR, INV, D] = [7, 8, 9, 10, 11, 12, 13, 14];

function addNormBody(): number[] {
  const q = [...get(LBASE), ...get(LJ), ...i32(2), ...SHL, ...ADD]; // byte offset of y[row][j] - y
  const yj = [...get(Y), ...q, ...ADD, ...set(LQ)];
  const hf = [...get(H), ...FROM_I32];
  const residual = forLoop(LJ, H, 1, [
    ...yj,
    ...get(LQ),
    ...[...get(LQ), ...F32_LOAD, ...PROMOTE, ...get(R), ...q, ...ADD, ...F32_LOAD, ...PROMOTE, ...F64_ADD],
    ...DEMOTE,
    ...F32_STORE,
    ...[...get(MEAN), ...get(LQ), ...F32_LOAD, ...PROMOTE, ...F64_ADD, ...set(MEAN)],
  ]);
  const variance = forLoop(LJ, H, 1, [
    ...yj,
    ...[...get(LQ), ...F32_LOAD, ...PROMOTE, ...get(MEAN), ...F64_SUB, ...set(D)],
    ...[...get(VAR), ...get(D), ...get(D), ...F64_MUL, ...F64_ADD, ...set(VAR)],
  ]);
  const scale = forLoop(LJ, H, 1, [
    ...yj,
    ...get(LQ),
    ...[...get(LQ), ...F32_LOAD, ...PROMOTE, ...get(MEAN), ...F64_SUB, ...get(INV), ...F64_MUL],
    ...[...at4(G, LJ), ...F32_LOAD, ...PROMOTE, ...F64_MUL],
    ...[...at4(BE, LJ), ...F32_LOAD, ...PROMOTE, ...F64_ADD],
    ...DEMOTE,
    ...F32_STORE,
  ]);
  return forLoop(LI, ROWS, 1, [
    ...[...get(LI), ...get(H), ...[0x6c], ...i32(2), ...SHL, ...set(LBASE)],
    ...[...f64(0), ...set(MEAN), ...f64(0), ...set(VAR)],
    ...residual,
    ...[...get(MEAN), ...hf, ...F64_DIV, ...set(MEAN)],
    ...variance,
    ...[...f64(1), ...get(VAR), ...hf, ...F64_DIV, ...get(EPS), ...F64_ADD, ...F64_SQRT, ...F64_DIV, ...set(INV)],
    ...scale,
  ]);
}

// exp(x): fdlibm's e_exp.c as V8's base::ieee754::exp computes Math.exp (the same operations in
// the same order, so the same bits: tested on millions of arguments). fdlibm compares the high word
// of |x| with constants; |x| compared with those words as doubles (low word 0) is the same test.
const highWord = (hi: number) => new Float64Array(new BigUint64Array([BigInt(hi) << 32n]).buffer)[0];
const [EX, EAX, EHI, ELO, ET, EC, EY, EK] = [0, 1, 2, 3, 4, 5, 6, 7];
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const P = [1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5];
const P45 = [-1.6533902205465251539e-6, 4.13813679705723846039e-8];
/** 2^(k + bias - 1023) from its bits: k + bias is the exponent field. */
const pow2 = (bias: number) => [...get(EK), ...i32(bias), ...ADD, 0xac, 0x42, 52, 0x86, 0xbf];

function expBody(): number[] {
  const ret = (value: number[]) => [...value, ...RETURN];
  const special = [
    ...[...get(EX), ...get(EX), ...F64_NE, ...IF, ...ret([...get(EX), ...get(EX), ...F64_ADD]), ...END], // NaN
    ...[...get(EX), ...f64(7.09782712893383973096e2), ...F64_GT, ...IF, ...ret(f64(Infinity)), ...END],
    ...[...get(EX), ...f64(-7.4513321910194110842e2), ...F64_LT, ...IF, ...ret(f64(0)), ...END],
  ];
  const nearLn2 = [
    ...[...get(EX), ...f64(1), ...F64_EQ, ...IF, ...ret(f64(Math.E)), ...END],
    ...[...get(EX), ...f64(0), ...F64_LT, ...IF],
    ...[...get(EX), ...f64(LN2_HI), ...F64_ADD, ...set(EHI), ...f64(-LN2_LO), ...set(ELO), ...i32(-1), ...set(EK)],
    ...ELSE,
    ...[...get(EX), ...f64(LN2_HI), ...F64_SUB, ...set(EHI), ...f64(LN2_LO), ...set(ELO), ...i32(1), ...set(EK)],
    ...END,
  ];
  const reduce = [
    ...[...f64(1.442695040888963387), ...get(EX), ...F64_MUL],
    ...[...f64(-0.5), ...f64(0.5), ...get(EX), ...f64(0), ...F64_LT, ...SELECT, ...F64_ADD, ...TRUNC, ...set(EK)],
    ...[...get(EK), ...FROM_I32, ...set(ET)],
    ...[...get(EX), ...get(ET), ...f64(LN2_HI), ...F64_MUL, ...F64_SUB, ...set(EHI)],
    ...[...get(ET), ...f64(LN2_LO), ...F64_MUL, ...set(ELO)],
  ];
  // c = x - t (P1 + t (P2 + t (P3 + t (P4 + t P5))))
  const poly = [
    ...get(EX),
    ...[P[0], P[1], P[2], P45[0], P45[1]].flatMap((c) => [...get(ET), ...f64(c)]),
    ...[...F64_MUL, ...F64_ADD, ...F64_MUL, ...F64_ADD, ...F64_MUL, ...F64_ADD, ...F64_MUL, ...F64_ADD, ...F64_MUL],
    ...F64_SUB,
    ...set(EC),
  ];
  const xc = [...get(EX), ...get(EC), ...F64_MUL];
  return [
    ...[...get(EX), ...F64_ABS, ...set(EAX)],
    ...[...get(EAX), ...f64(highWord(0x40862e42)), ...F64_LT, ...I32_EQZ, ...IF, ...special, ...END],
    ...[...get(EAX), ...f64(highWord(0x3fd62e43)), ...F64_GE, ...IF],
    ...[...get(EAX), ...f64(highWord(0x3ff0a2b2)), ...F64_LT, ...IF, ...nearLn2, ...ELSE, ...reduce, ...END],
    ...[...get(EHI), ...get(ELO), ...F64_SUB, ...set(EX)],
    ...ELSE,
    ...[
      ...get(EAX),
      ...f64(highWord(0x3e300000)),
      ...F64_LT,
      ...IF,
      ...ret([...f64(1), ...get(EX), ...F64_ADD]),
      ...END,
    ],
    ...END,
    ...[...get(EX), ...get(EX), ...F64_MUL, ...set(ET)],
    ...poly,
    // k = 0: 1 - ((x c) / (c - 2) - x)
    ...[...get(EK), ...I32_EQZ, ...IF],
    ...ret([...f64(1), ...xc, ...get(EC), ...f64(2), ...F64_SUB, ...F64_DIV, ...get(EX), ...F64_SUB, ...F64_SUB]),
    ...END,
    // y = 1 - ((lo - (x c) / (2 - c)) - hi)
    ...[...f64(1), ...get(ELO), ...xc, ...f64(2), ...get(EC), ...F64_SUB, ...F64_DIV, ...F64_SUB],
    ...[...get(EHI), ...F64_SUB, ...F64_SUB, ...set(EY)],
    ...[...get(EK), ...i32(-1021), ...I32_GE_S, ...IF],
    ...[...get(EK), ...i32(1024), ...I32_EQ, ...IF],
    ...ret([...get(EY), ...f64(2), ...F64_MUL, ...f64(8.988465674311579539e307), ...F64_MUL]),
    ...END,
    ...ret([...get(EY), ...pow2(1023), ...F64_MUL]),
    ...END,
    ...[...get(EY), ...pow2(2023), ...F64_MUL, ...f64(9.3326361850321887899e-302), ...F64_MUL],
  ];
}

// softmax(p, n, ld, rows, scale): for each row (byte offset p + 4 i ld): max of its n values,
// e_j = exp((x_j - max) scale) stored (f32) and summed (f64), then x_j = x_j / sum.
const [SP, SN, SLD, SROWS, SSCALE, SI, SJ, SROW, SQ, SMAX, SSUM, SE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const EXP_INDEX = 2;

function softmaxBody(): number[] {
  const x = [...get(SQ), ...F32_LOAD, ...PROMOTE];
  const q = [...at4(SROW, SJ), ...set(SQ)];
  return forLoop(SI, SROWS, 1, [
    ...[...get(SI), ...get(SLD), ...I32_MUL, ...i32(2), ...SHL, ...get(SP), ...ADD, ...set(SROW)],
    ...[...f64(-Infinity), ...set(SMAX), ...f64(0), ...set(SSUM)],
    ...forLoop(SJ, SN, 1, [...q, ...get(SMAX), ...x, ...F64_MAX, ...set(SMAX)]),
    ...forLoop(SJ, SN, 1, [
      ...q,
      ...get(SQ),
      ...[...x, ...get(SMAX), ...F64_SUB, ...get(SSCALE), ...F64_MUL, 0x10, EXP_INDEX, ...set(SE)],
      ...[...get(SE), ...DEMOTE, ...F32_STORE],
      ...[...get(SSUM), ...get(SE), ...F64_ADD, ...set(SSUM)],
    ]),
    ...forLoop(SJ, SN, 1, [...q, ...get(SQ), ...x, ...get(SSUM), ...F64_DIV, ...DEMOTE, ...F32_STORE]),
  ]);
}

function rowsWasm(): Uint8Array<ArrayBuffer> {
  const code = (locals: number[][], body: number[]) => {
    const bytes = [...vec(locals), ...body, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  };
  const I32 = 0x7f;
  const F64 = 0x7c;
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec([[I32], [I32], [I32]]), 0],
        [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [F64]]), 0],
        [0x60, ...vec([[F64]]), ...vec([[F64]])],
        [0x60, ...vec([[I32], [I32], [I32], [I32], [F64]]), 0],
      ]),
    ),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0], [1], [2], [3]])),
    ...section(
      7,
      vec([
        [...name('gelu'), 0x00, 0],
        [...name('addNorm'), 0x00, 1],
        [...name('exp'), 0x00, EXP_INDEX],
        [...name('softmax'), 0x00, 3],
      ]),
    ),
    ...section(
      10,
      vec([
        code(
          [
            [4, I32],
            [3, F64],
          ],
          geluBody(),
        ),
        code(
          [
            [4, I32],
            [4, F64],
          ],
          addNormBody(),
        ),
        code(
          [
            [6, F64],
            [1, I32],
          ],
          expBody(),
        ),
        code(
          [
            [4, I32],
            [3, F64],
          ],
          softmaxBody(),
        ),
      ]),
    ),
  ]);
}
