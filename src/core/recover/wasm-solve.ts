// cholesky.ts's choleskySolveInPlace in WebAssembly: forward then backward substitution with many
// right-hand sides, each row update an f64x2 axpy over the right-hand sides. Every element gets
// the TypeScript loop's operations in its order (b - f·b', then · 1/L_ii; zero factors skipped
// alike), so the result is the same bits, at a fraction of V8's time for those loops. The row
// groups' solves of the reconstruction (reconstruct.ts) run here. Own memory, grown on demand.
import { ADD, forLoop, get, growTo, i32, MUL, name, section, set, SHL, simd, uleb, vec } from './wasm-asm';

export class WasmSolver {
  private readonly memory = new WebAssembly.Memory({ initial: 16 });
  private readonly kernel: (l: number, n: number, b: number, rp: number) => void;

  constructor() {
    const instance = new WebAssembly.Instance(solveModule(), { env: { memory: this.memory } });
    this.kernel = instance.exports.solve as WasmSolver['kernel'];
  }

  /** In place: B (n x r, row-major) becomes A⁻¹ B given A's Cholesky factor (lower triangle of l). */
  choleskySolve(l: Float64Array, n: number, b: Float64Array, r: number): void {
    if (b.length < n * r) throw new RangeError(`right-hand side has ${b.length} entries, expected ${n} x ${r}`);
    const rp = r + (r % 2); // rows padded to whole f64x2 (the padding column stays 0)
    const bytes = 8 * (n * n + n * rp);
    growTo(this.memory, bytes);
    const f = new Float64Array(this.memory.buffer, 0, n * n + n * rp);
    f.set(l.subarray(0, n * n));
    const at = n * n;
    if (rp === r) f.set(b.subarray(0, n * r), at);
    else
      for (let i = 0; i < n; i++) {
        f.set(b.subarray(i * r, i * r + r), at + i * rp);
        f[at + i * rp + r] = 0;
      }
    this.kernel(0, n, 8 * at, rp);
    if (rp === r) b.set(f.subarray(at, at + n * r));
    else for (let i = 0; i < n; i++) b.set(f.subarray(at + i * rp, at + i * rp + r), i * r);
  }
}

let compiled: WebAssembly.Module | undefined;

function solveModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(solveWasm());
  return compiled;
}

// ---- The kernel, assembled ----
// solve(l, n, b, rp): byte offsets l and b; b has n rows of rp doubles (rp even).
const [L, N, B, RP] = [0, 1, 2, 3];
const [I, P, C, ROW_I, ROW_P, Q, LIMIT, II, PP] = [4, 5, 6, 7, 8, 9, 10, 11, 12];
const [F, INV] = [13, 14];
const FV = 15; // v128
const F64_LOAD = [0x2b, 3, 0];
const F64_NE = [0x62];
const F64_DIV = [0xa3];
const f64 = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const v128Load = [...simd(0), 4, 0];
const v128Store = [...simd(11), 4, 0];
const F64X2_SPLAT = simd(20);
const F64X2_SUB = simd(241);
const F64X2_MUL = simd(242);
const SUB = [0x6b];
const IF = [0x04, 0x40];
const END = [0x0b];
/** l[(row · n + col)] as f64 (row and col: locals). */
const lAt = (row: number, col: number) => [
  ...[...get(row), ...get(N), ...MUL, ...get(col), ...ADD, ...i32(3), ...SHL, ...get(L), ...ADD],
  ...F64_LOAD,
];
/** Byte address of b's row `row` into `target`. */
const rowOf = (row: number, target: number) => [
  ...[...get(row), ...get(RP), ...MUL, ...i32(3), ...SHL, ...get(B), ...ADD, ...set(target)],
];

/** b[i] -= f · b[p] over the row (f in F, row addresses in ROW_I, ROW_P), skipped when f = 0. */
function axpy(): number[] {
  const element = [
    ...[...get(C), ...i32(3), ...SHL, ...get(ROW_I), ...ADD, ...set(Q)],
    ...get(Q),
    ...[...get(Q), ...v128Load],
    ...[...get(FV), ...get(C), ...i32(3), ...SHL, ...get(ROW_P), ...ADD, ...v128Load, ...F64X2_MUL],
    ...F64X2_SUB,
    ...v128Store,
  ];
  return [
    ...[...get(F), ...f64(0), ...F64_NE, ...IF],
    ...[...get(F), ...F64X2_SPLAT, ...set(FV)],
    ...forLoop(C, RP, 2, element),
    ...END,
  ];
}

/** b[i] ·= 1 / l[i][i]. */
function scale(): number[] {
  const element = [
    ...[...get(C), ...i32(3), ...SHL, ...get(ROW_I), ...ADD, ...set(Q)],
    ...get(Q),
    ...[...get(Q), ...v128Load, ...get(FV), ...F64X2_MUL],
    ...v128Store,
  ];
  return [
    ...[...f64(1), ...lAt(I, I), ...F64_DIV, ...set(INV)],
    ...[...get(INV), ...F64X2_SPLAT, ...set(FV)],
    ...forLoop(C, RP, 2, element),
  ];
}

function solveBody(): number[] {
  const forward = forLoop(I, N, 1, [
    ...rowOf(I, ROW_I),
    ...forLoop(P, I, 1, [...lAt(I, P), ...set(F), ...rowOf(P, ROW_P), ...axpy()]),
    ...scale(),
  ]);
  // i = n - 1 - ii down to 0; p = i + 1 + (0 .. n - 1 - i): l[p][i] = Lᵀ[i][p].
  const backward = forLoop(II, N, 1, [
    ...[...get(N), ...i32(1), ...SUB, ...get(II), ...SUB, ...set(I)],
    ...rowOf(I, ROW_I),
    ...[...get(N), ...i32(1), ...SUB, ...get(I), ...SUB, ...set(LIMIT)],
    ...forLoop(PP, LIMIT, 1, [
      ...[...get(I), ...i32(1), ...ADD, ...get(PP), ...ADD, ...set(P)],
      ...lAt(P, I),
      ...set(F),
      ...rowOf(P, ROW_P),
      ...axpy(),
    ]),
    ...scale(),
  ]);
  return [...forward, ...backward];
}

function solveWasm(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const F64 = 0x7c;
  const V128 = 0x7b;
  const body = [
    ...vec([
      [9, I32],
      [2, F64],
      [1, V128],
    ]),
    ...solveBody(),
    0x0b,
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('solve'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
