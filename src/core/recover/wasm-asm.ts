// The few WebAssembly encodings the hand-assembled kernels use (wasm-gemm.ts, wasm-rows.ts,
// wasm-solve.ts): LEB128 numbers, sections, local access, i32 arithmetic and a counted loop; and
// the memory growth they share.

/** Grows `memory` to at least `bytes`; true when it grew (views of its old buffer are then stale). */
export function growTo(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return false;
  memory.grow(Math.ceil((bytes - have) / 65536));
  return true;
}

/** Whether this engine compiles relaxed SIMD (f32x4.relaxed_madd): a five-instruction probe. */
export function hasRelaxedSimd(): boolean {
  // (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  const v = 0x7b;
  const body = [0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 0x02, 0x0b];
  const probe = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[1, 8, 1, 0x60, 3, v, v, v, 1, v],
    ...[3, 2, 1, 0],
    ...[10, body.length + 2, 1, body.length, ...body],
  ];
  return WebAssembly.validate(new Uint8Array(probe));
}

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
export const name = (s: string): number[] => vec([...s].map((ch) => [ch.charCodeAt(0)]));

export const get = (l: number) => [0x20, ...uleb(l)];
export const set = (l: number) => [0x21, ...uleb(l)];
export const tee = (l: number) => [0x22, ...uleb(l)];
export const i32 = (v: number) => [0x41, ...sleb(v)];
export const ADD = [0x6a];
export const MUL = [0x6c];
export const SHL = [0x74];
export const LT_U = [0x49];
export const EQZ = [0x45];
export const simd = (op: number) => [0xfd, ...uleb(op)];

/** for (v = 0; v < limit; v += step) body, skipped when limit is 0. */
export function forLoop(v: number, limit: number, step: number, body: number[]): number[] {
  const test = [...get(v), ...get(limit), ...LT_U];
  const loop = [0x03, 0x40, ...body, ...get(v), ...i32(step), ...ADD, ...tee(v), ...get(limit), ...LT_U, 0x0d, 0, 0x0b];
  return [...i32(0), ...set(v), 0x02, 0x40, ...test, ...EQZ, 0x0d, 0, ...loop, 0x0b];
}
