// An index over an ONNX graph for structural matching: who produces and who consumes each
// tensor, and which tensors are constants (initializers, Constant nodes, and constants seen
// through DequantizeLinear / Cast / Identity, which quantised exports put in front of weights).
import { DataType, type GraphProto, type NodeProto, type TensorProto } from './onnx-proto';
import { tensorDims, tensorToFloat32 } from './onnx-tensor';
import { ModelLoadError } from './model-error';

export interface ConstTensor {
  dims: number[];
  /** Values widened to float32 (dequantised when behind DequantizeLinear). */
  data: Float32Array;
  /** The initializer the values come from (for writing back), when there is one. */
  initializer?: TensorProto;
  /** True when `data` equals the initializer's stored float32 values (writable in place). */
  direct: boolean;
}

export function attr(
  node: NodeProto,
  name: string,
): { i?: number; f?: number; ints?: number[]; t?: TensorProto } | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());
  return {
    i: a.i !== undefined && a.i !== null ? num(a.i) : undefined,
    f: a.f ?? undefined,
    ints: a.ints?.map(num),
    t: (a.t ?? undefined) as TensorProto | undefined,
  };
}

export class GraphIndex {
  readonly nodes: NodeProto[];
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly inputs: string[];
  readonly outputs: string[];
  private readonly constCache = new Map<string, ConstTensor | null>();

  constructor(graph: GraphProto) {
    this.nodes = graph.node ?? [];
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
    for (const n of this.nodes) {
      for (const o of n.output ?? []) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
    }
    // Graph inputs that are really initializers (old exporters list both) are not inputs.
    this.inputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !this.initializers.has(n));
    this.outputs = (graph.output ?? []).map((v) => v.name ?? '');
  }

  consumersOf(tensor: string): NodeProto[] {
    return this.consumers.get(tensor) ?? [];
  }

  /** The constant behind `name`, or null when it depends on a graph input. */
  constant(name: string): ConstTensor | null {
    if (this.constCache.has(name)) return this.constCache.get(name)!;
    const value = this.resolve(name);
    this.constCache.set(name, value);
    return value;
  }

  isConstant(name: string): boolean {
    return this.constant(name) !== null;
  }

  /** Scalar value of a constant (a one-element tensor), or null. */
  scalar(name: string): number | null {
    const c = this.constant(name);
    return c && c.data.length === 1 ? c.data[0] : null;
  }

  private resolve(name: string): ConstTensor | null {
    const init = this.initializers.get(name);
    if (init) {
      return {
        dims: tensorDims(init),
        data: tensorToFloat32(init),
        initializer: init,
        direct: init.dataType === DataType.FLOAT,
      };
    }
    const node = this.producer.get(name);
    if (!node) return null;
    const inputs = node.input ?? [];
    switch (node.opType) {
      case 'Constant': {
        const t = attr(node, 'value')?.t;
        if (t) return { dims: tensorDims(t), data: tensorToFloat32(t), direct: false };
        const f = attr(node, 'value_float')?.f;
        return f !== undefined ? { dims: [], data: new Float32Array([f]), direct: false } : null;
      }
      case 'Identity': {
        const c = this.constant(inputs[0]);
        return c;
      }
      case 'Cast': {
        const c = this.constant(inputs[0]);
        return c ? { ...c, direct: false } : null;
      }
      case 'DequantizeLinear': {
        const x = this.constant(inputs[0]);
        const scale = this.constant(inputs[1]);
        const zero = inputs[2] ? this.constant(inputs[2]) : null;
        if (!x || !scale) return null;
        const axis = checkDequantize(node, x, scale, zero);
        return { dims: x.dims, data: dequantize(x, scale, zero, axis), initializer: x.initializer, direct: false };
      }
      default:
        return null;
    }
  }
}

/** The node's axis, after checking it and the scale / zero-point lengths against x (ONNX's
 *  rules): a wrong axis or too few scales would otherwise turn weights into NaN silently. */
export function checkDequantize(node: NodeProto, x: ConstTensor, scale: ConstTensor, zero: ConstTensor | null): number {
  const fail = (why: string) =>
    new ModelLoadError(
      'bad-tensor',
      `The model's DequantizeLinear node '${node.name ?? ''}' ${why}: the file is damaged or mis-exported.`,
      `input ${node.input?.[0]} dims [${x.dims.join(', ')}]`,
    );
  const axis = attr(node, 'axis')?.i ?? 1;
  const perTensor = scale.data.length === 1;
  if (zero && zero.data.length !== scale.data.length)
    throw fail(`has ${zero.data.length} zero points for ${scale.data.length} scales`);
  if (perTensor) return axis;
  const rank = x.dims.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw fail(`quantises along axis ${axis} of a rank-${rank} tensor`);
  const len = x.dims[axis < 0 ? axis + rank : axis];
  if (scale.data.length !== len) throw fail(`has ${scale.data.length} scales for the ${len} channels of axis ${axis}`);
  return axis;
}

/** y = (x - zero) * scale, per tensor or per `axis` (ONNX DequantizeLinear semantics). */
export function dequantize(x: ConstTensor, scale: ConstTensor, zero: ConstTensor | null, axis: number): Float32Array {
  const out = new Float32Array(x.data.length);
  if (scale.data.length === 1) {
    const s = scale.data[0];
    const z = zero ? zero.data[0] : 0;
    for (let i = 0; i < out.length; i++) out[i] = (x.data[i] - z) * s;
    return out;
  }
  const ax = axis < 0 ? axis + x.dims.length : axis;
  const inner = x.dims.slice(ax + 1).reduce((a, b) => a * b, 1);
  const len = x.dims[ax];
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / inner) % len;
    out[i] = (x.data[i] - (zero ? zero.data[c] : 0)) * scale.data[c];
  }
  return out;
}
