// Little-endian writer/reader over one ArrayBuffer. The writer is sized up front from a format's
// byte formula and checks at the end that the layout filled it exactly: the formula and the
// layout cannot drift apart.
import { f16BitsToF32, f32ToF16Bits } from './f16';
import type { ValueType } from './hp';

export const VALUE_TYPE_CODE: Record<ValueType, number> = { f32: 0, f16: 1 };
export const valueBytes = (t: ValueType): number => (t === 'f16' ? 2 : 4);

export function valueTypeOf(code: number): ValueType {
  if (code === 0) return 'f32';
  if (code === 1) return 'f16';
  throw new FormatError(`unknown value type code ${code} (0 = f32, 1 = f16)`);
}

/** Index width counted in sizes: u16 when every index fits (count <= 65536), else u32. */
export const indexBytes = (count: number): 2 | 4 => (count <= 65536 ? 2 : 4);

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset = 0;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u32(v: number): void {
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }
  u32s(a: ArrayLike<number>): void {
    for (let i = 0; i < a.length; i++) this.u32(a[i]);
  }
  u16s(a: ArrayLike<number>): void {
    for (let i = 0; i < a.length; i++, this.offset += 2) this.view.setUint16(this.offset, a[i], true);
  }
  u8s(a: ArrayLike<number>): void {
    this.bytes.set(a, this.offset);
    this.offset += a.length;
  }
  /** Indices at the width `indexBytes(count)` gives. */
  indices(a: ArrayLike<number>, count: number): void {
    if (indexBytes(count) === 2) this.u16s(a);
    else this.u32s(a);
  }
  values(a: Float32Array, t: ValueType): void {
    if (t === 'f32') for (let i = 0; i < a.length; i++, this.offset += 4) this.view.setFloat32(this.offset, a[i], true);
    else
      for (let i = 0; i < a.length; i++, this.offset += 2) this.view.setUint16(this.offset, f32ToF16Bits(a[i]), true);
  }
  /** Returns the bytes after checking the layout filled the formula's size exactly. */
  finish(what: string): Uint8Array {
    if (this.offset !== this.size) throw new Error(`${what}: wrote ${this.offset} bytes, formula says ${this.size}`);
    return this.bytes;
  }
}

export class ByteReader {
  private readonly view: DataView;
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
    readonly what = 'data',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  need(n: number): void {
    if (this.offset + n > this.bytes.byteLength) {
      throw new FormatError(`${this.what} is truncated: needs ${this.offset + n} bytes, has ${this.bytes.byteLength}`);
    }
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u32s(n: number): Uint32Array {
    this.need(4 * n);
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++, this.offset += 4) a[i] = this.view.getUint32(this.offset, true);
    return a;
  }
  u16s(n: number): Uint16Array {
    this.need(2 * n);
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++, this.offset += 2) a[i] = this.view.getUint16(this.offset, true);
    return a;
  }
  u8s(n: number): Uint8Array {
    this.need(n);
    const a = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return a;
  }
  indices(n: number, count: number): Uint32Array {
    return indexBytes(count) === 2 ? Uint32Array.from(this.u16s(n)) : this.u32s(n);
  }
  values(n: number, t: ValueType): Float32Array {
    this.need(n * valueBytes(t));
    const a = new Float32Array(n);
    if (t === 'f32') for (let i = 0; i < n; i++, this.offset += 4) a[i] = this.view.getFloat32(this.offset, true);
    else for (let i = 0; i < n; i++, this.offset += 2) a[i] = f16BitsToF32(this.view.getUint16(this.offset, true));
    return a;
  }
}
