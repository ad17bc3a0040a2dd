// Builds small, valid ONNX BERT classifiers with the op structure of a Hugging Face
// torch.onnx.export (Gathers, decomposed or fused LayerNorm, Reshape/Transpose attention with
// 1/sqrt(d) scaling, Erf GELU, Gemm pooler + Tanh + Gemm classifier). onnxruntime runs them.
// Returns the bytes and the ground-truth weights (W is out x in) for checking parsers/engines.
import onnxProto from 'onnx-proto';
import type { BertConfig, BertModel, Linear, LayerNormParams } from '../../src/core/model/bert-types';

const { onnx } = onnxProto;
type NodeIn = onnxProto.onnx.INodeProto;
type TensorIn = onnxProto.onnx.ITensorProto;
type AttrIn = onnxProto.onnx.IAttributeProto;

export interface TinyBertOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  ffn?: number;
  vocab?: number;
  maxPositions?: number;
  typeVocab?: number;
  labels?: number;
  seed?: number;
  /** 'decomposed' (opset 14, ReduceMean/Pow/Sqrt/Div) or 'fused' (opset 17 LayerNormalization). */
  layerNorm?: 'decomposed' | 'fused';
  /** How the word table is stored: float32; int8 behind DequantizeLinear (per tensor); fp16
   *  behind Cast; or int8 looked up first, then Cast and Mul by a looked-up per-row scale
   *  ('int8-rows', as scripts/train/export_onnx.py does). */
  wordEmbedding?: 'float' | 'int8' | 'fp16' | 'int8-rows';
  /** Positions as Gather(table, Slice(position_ids)) (HF) or Slice(table, 0..seq) (export_onnx.py). */
  positions?: 'gather' | 'slice';
  /** Pooler/classifier as Gemm on [B, H] (HF) or MatMul+Add on [B, 1, H] then Gather (export_onnx.py). */
  head?: 'gemm' | 'matmul';
  /** Scale Q and K by d^-1/4 each (SDPA-style) instead of dividing the scores by sqrt(d). */
  scaleQK?: boolean;
  pooler?: boolean;
  /** Head reshapes as Concat(Shape-derived batch, seq, const heads, const headDim), and the
   *  score scaling as Div by Sqrt(Cast(Shape(Q)[3])), as tracing exporters write them. */
  dynamicReshape?: boolean;
  /** Omit one of the three inputs (for error tests). */
  omitInput?: 'attention_mask' | 'token_type_ids' | 'input_ids';
}

export interface TinyBert {
  bytes: Uint8Array;
  /** The weights as built (word table dequantised, as a loader should see it). */
  model: BertModel;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  const m = x & 0x7fffff;
  if (e <= 0) return sign | Math.round((m | 0x800000) / 2 ** (14 - e));
  if (e >= 31) return sign | 0x7c00;
  let h = sign | (e << 10) | (m >> 13);
  if (m & 0x1000) h++; // round half up (ties are vanishingly rare in random data)
  return h;
}

export function halfRoundTrip(v: number): number {
  const h = floatToHalf(v);
  const e = (h >> 10) & 0x1f,
    f = h & 0x3ff,
    s = h & 0x8000 ? -1 : 1;
  return e === 0 ? s * f * 2 ** -24 : s * (1 + f / 1024) * 2 ** (e - 15);
}

class GraphBuilder {
  nodes: NodeIn[] = [];
  inits: TensorIn[] = [];
  private n = 0;
  fresh(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }
  node(op: string, inputs: string[], attrs: AttrIn[] = [], name = op): string {
    const out = this.fresh(`/${name}/${op}_output`);
    this.nodes.push({ opType: op, input: inputs, output: [out], name: this.fresh(`/${name}/${op}`), attribute: attrs });
    return out;
  }
  float(name: string, dims: number[], values: ArrayLike<number>): string {
    const raw = new Uint8Array(new Float32Array(values).buffer);
    this.inits.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }
  int64(name: string, dims: number[], values: number[]): string {
    const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.inits.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }
  typed(name: string, dims: number[], dataType: number, raw: Uint8Array): string {
    this.inits.push({ name, dims, dataType, rawData: raw });
    return name;
  }
}

const ints = (name: string, v: number[]): AttrIn => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number): AttrIn => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
const flt = (name: string, v: number): AttrIn => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });

export function buildTinyBertOnnx(opts: TinyBertOptions = {}): TinyBert {
  const cfg: BertConfig = {
    layers: opts.layers ?? 2,
    hidden: opts.hidden ?? 8,
    heads: opts.heads ?? 2,
    ffn: opts.ffn ?? 16,
    vocab: opts.vocab ?? 40,
    maxPositions: opts.maxPositions ?? 16,
    typeVocab: opts.typeVocab ?? 2,
    labels: opts.labels ?? 2,
    layerNormEps: 1e-12,
  };
  const fused = opts.layerNorm === 'fused';
  const rand = rng(opts.seed ?? 1);
  const normal = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const g = new GraphBuilder();
  const H = cfg.hidden,
    hd = H / cfg.heads;

  const linear = (
    name: string,
    x: string,
    out: number,
    inn: number,
    biasFirst: boolean,
  ): { y: string; lin: Linear } => {
    const weight = normal(out * inn, (1 / Math.sqrt(inn)) * 1.5);
    const bias = normal(out, 0.2);
    const wt = new Float32Array(out * inn);
    for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) wt[i * out + o] = weight[o * inn + i];
    const init = g.float(`onnx::MatMul_${name}`, [inn, out], wt);
    const b = g.float(`${name}.bias`, [out], bias);
    const mm = g.node('MatMul', [x, init], [], name);
    const y = g.node('Add', biasFirst ? [b, mm] : [mm, b], [], name);
    return { y, lin: { name, out, in: inn, weight, bias, initializer: init } };
  };
  const gemm = (name: string, x: string, out: number, inn: number): { y: string; lin: Linear } => {
    const weight = normal(out * inn, (1 / Math.sqrt(inn)) * 1.5);
    const bias = normal(out, 0.2);
    const w = g.float(`${name}.weight`, [out, inn], weight);
    const b = g.float(`${name}.bias`, [out], bias);
    return {
      y: g.node('Gemm', [x, w, b], [flt('alpha', 1), flt('beta', 1), int('transB', 1)], name),
      lin: { name, out, in: inn, weight, bias, initializer: w },
    };
  };
  const layerNorm = (name: string, x: string): { y: string; p: LayerNormParams } => {
    const gamma = Float32Array.from(normal(H, 0.3), (v) => 1 + v);
    const beta = normal(H, 0.1);
    const gN = g.float(`${name}.weight`, [H], gamma);
    const bN = g.float(`${name}.bias`, [H], beta);
    if (fused)
      return {
        y: g.node('LayerNormalization', [x, gN, bN], [int('axis', -1), flt('epsilon', cfg.layerNormEps)], name),
        p: { gamma, beta },
      };
    const mean = g.node('ReduceMean', [x], [ints('axes', [-1])], name);
    const sub = g.node('Sub', [x, mean], [], name);
    const pow = g.node('Pow', [sub, g.float(g.fresh('two'), [], [2])], [], name);
    const varr = g.node('ReduceMean', [pow], [ints('axes', [-1])], name);
    const add = g.node('Add', [varr, g.float(g.fresh('eps'), [], [cfg.layerNormEps])], [], name);
    const sqrt = g.node('Sqrt', [add], [], name);
    const div = g.node('Div', [sub, sqrt], [], name);
    const mul = g.node('Mul', [div, gN], [], name);
    return { y: g.node('Add', [mul, bN], [], name), p: { gamma, beta } };
  };

  // Embeddings.
  let word = normal(cfg.vocab * H, 1);
  let wordTable: string;
  if (opts.wordEmbedding === 'int8') {
    const maxAbs = word.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = maxAbs / 127;
    const q = Int8Array.from(word, (v) => Math.round(v / scale));
    word = Float32Array.from(q, (v) => v * Math.fround(scale));
    const qName = g.typed(
      'embeddings.word_embeddings.weight_quantized',
      [cfg.vocab, H],
      onnx.TensorProto.DataType.INT8,
      new Uint8Array(q.buffer),
    );
    const sName = g.float('embeddings.word_embeddings.weight_scale', [], [scale]);
    const zName = g.typed(
      'embeddings.word_embeddings.weight_zero_point',
      [],
      onnx.TensorProto.DataType.INT8,
      new Uint8Array([0]),
    );
    wordTable = g.node('DequantizeLinear', [qName, sName, zName], [], 'embeddings');
  } else if (opts.wordEmbedding === 'int8-rows') {
    const q = new Int8Array(word.length);
    const scales = new Float32Array(cfg.vocab);
    for (let r = 0; r < cfg.vocab; r++) {
      const row = word.subarray(r * H, (r + 1) * H);
      scales[r] = row.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
      row.forEach((v, c) => (q[r * H + c] = Math.round(v / scales[r])));
    }
    word = Float32Array.from(q, (v, i) => Math.fround(v * scales[Math.floor(i / H)]));
    g.typed('word_embeddings_int8', [cfg.vocab, H], onnx.TensorProto.DataType.INT8, new Uint8Array(q.buffer));
    g.float('word_embeddings_scale', [cfg.vocab, 1], scales);
    wordTable = 'word_embeddings_int8';
  } else if (opts.wordEmbedding === 'fp16') {
    const h = Uint16Array.from(word, floatToHalf);
    word = Float32Array.from(word, halfRoundTrip);
    const hName = g.typed(
      'embeddings.word_embeddings.weight_fp16',
      [cfg.vocab, H],
      onnx.TensorProto.DataType.FLOAT16,
      new Uint8Array(h.buffer),
    );
    wordTable = g.node('Cast', [hName], [int('to', onnx.TensorProto.DataType.FLOAT)], 'embeddings');
  } else {
    wordTable = g.float('embeddings.word_embeddings.weight', [cfg.vocab, H], word);
  }
  const position = normal(cfg.maxPositions * H, 0.5);
  const tokenType = normal(cfg.typeVocab * H, 0.5);
  const posTable = g.float('embeddings.position_embeddings.weight', [cfg.maxPositions, H], position);
  const typeTable = g.float('embeddings.token_type_embeddings.weight', [cfg.typeVocab, H], tokenType);
  let wordEmb = g.node('Gather', [wordTable, 'input_ids'], [], 'embeddings');
  if (opts.wordEmbedding === 'int8-rows') {
    const scale = g.node('Gather', ['word_embeddings_scale', 'input_ids'], [], 'embeddings');
    wordEmb = g.node('Mul', [g.node('Cast', [wordEmb], [int('to', 1)], 'embeddings'), scale], [], 'embeddings');
  }
  const typeEmb = g.node('Gather', [typeTable, 'token_type_ids'], [], 'embeddings');
  const shape = g.node('Shape', ['input_ids'], [], 'embeddings');
  const seqLen = g.node('Gather', [shape, g.int64(g.fresh('one'), [1], [1])], [int('axis', 0)], 'embeddings');
  const zero = g.int64(g.fresh('zero'), [1], [0]);
  const posEmb =
    opts.positions === 'slice'
      ? g.node('Slice', [posTable, zero, seqLen, zero], [], 'embeddings')
      : g.node(
          'Gather',
          [
            posTable,
            g.node(
              'Slice',
              [
                g.int64(
                  'embeddings.position_ids',
                  [1, cfg.maxPositions],
                  Array.from({ length: cfg.maxPositions }, (_, i) => i),
                ),
                zero,
                seqLen,
                g.int64(g.fresh('axis1'), [1], [1]),
              ],
              [],
              'embeddings',
            ),
          ],
          [],
          'embeddings',
        );
  const sum1 = g.node('Add', [wordEmb, typeEmb], [], 'embeddings');
  const sum2 = g.node('Add', [sum1, posEmb], [], 'embeddings');
  const embLn = layerNorm('embeddings.LayerNorm', sum2);

  // Extended attention mask: (1 - mask) * most-negative float, shape [B, 1, 1, S].
  const unsq = g.node('Unsqueeze', ['attention_mask', g.int64(g.fresh('axes'), [2], [1, 2])], [], 'mask');
  const castMask = g.node('Cast', [unsq], [int('to', 1)], 'mask');
  const inv = g.node('Sub', [g.float(g.fresh('one_f'), [], [1]), castMask], [], 'mask');
  const extMask = g.node('Mul', [inv, g.float(g.fresh('min_f'), [], [-3.4028234663852886e38])], [], 'mask');

  let headShape = g.int64('head_shape', [4], [0, 0, cfg.heads, hd]);
  if (opts.dynamicReshape) {
    const dims = g.node('Shape', ['input_ids'], [], 'heads');
    const dim = (i: number) => g.node('Gather', [dims, g.int64(g.fresh('i'), [1], [i])], [int('axis', 0)], 'heads');
    headShape = g.node(
      'Concat',
      [dim(0), dim(1), g.int64(g.fresh('h'), [1], [cfg.heads]), g.int64(g.fresh('d'), [1], [hd])],
      [int('axis', 0)],
      'heads',
    );
  }
  const mergeShape = g.int64('merge_shape', [3], [0, 0, H]);
  const layers: BertModel['layers'] = [];
  let h = embLn.y;
  for (let l = 0; l < cfg.layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = linear(`${p}.attention.self.query`, h, H, H, false);
    const k = linear(`${p}.attention.self.key`, h, H, H, true);
    const v = linear(`${p}.attention.self.value`, h, H, H, true);
    let qh = g.node('Transpose', [g.node('Reshape', [q.y, headShape], [], p)], [ints('perm', [0, 2, 1, 3])], p);
    let kh = g.node('Transpose', [g.node('Reshape', [k.y, headShape], [], p)], [ints('perm', [0, 2, 3, 1])], p);
    const vh = g.node('Transpose', [g.node('Reshape', [v.y, headShape], [], p)], [ints('perm', [0, 2, 1, 3])], p);
    let scores: string;
    if (opts.scaleQK) {
      const s = g.float(g.fresh('qk_scale'), [], [Math.pow(hd, -0.25)]);
      qh = g.node('Mul', [qh, s], [], p);
      kh = g.node('Mul', [kh, s], [], p);
      scores = g.node('MatMul', [qh, kh], [], p);
    } else {
      // Traced exports compute sqrt(headDim) from Q's shape at run time.
      const sqrtD = opts.dynamicReshape
        ? g.node(
            'Sqrt',
            [
              g.node(
                'Cast',
                [
                  g.node(
                    'Gather',
                    [g.node('Shape', [qh], [], p), g.int64(g.fresh('last'), [], [3])],
                    [int('axis', 0)],
                    p,
                  ),
                ],
                [int('to', 1)],
                p,
              ),
            ],
            [],
            p,
          )
        : g.float(g.fresh('sqrt_d'), [], [Math.sqrt(hd)]);
      scores = g.node('Div', [g.node('MatMul', [qh, kh], [], p), sqrtD], [], p);
    }
    const probs = g.node('Softmax', [g.node('Add', [scores, extMask], [], p)], [int('axis', -1)], p);
    const ctx = g.node(
      'Reshape',
      [g.node('Transpose', [g.node('MatMul', [probs, vh], [], p)], [ints('perm', [0, 2, 1, 3])], p), mergeShape],
      [],
      p,
    );
    const o = linear(`${p}.attention.output.dense`, ctx, H, H, true);
    const ln1 = layerNorm(`${p}.attention.output.LayerNorm`, g.node('Add', [o.y, h], [], p));
    const fi = linear(`${p}.intermediate.dense`, ln1.y, cfg.ffn, H, true);
    const erf = g.node('Erf', [g.node('Div', [fi.y, g.float(g.fresh('sqrt2'), [], [Math.SQRT2])], [], p)], [], p);
    const gelu = g.node(
      'Mul',
      [
        g.node('Mul', [fi.y, g.node('Add', [erf, g.float(g.fresh('one'), [], [1])], [], p)], [], p),
        g.float(g.fresh('half'), [], [0.5]),
      ],
      [],
      p,
    );
    const fo = linear(`${p}.output.dense`, gelu, H, cfg.ffn, true);
    const ln2 = layerNorm(`${p}.output.LayerNorm`, g.node('Add', [fo.y, ln1.y], [], p));
    layers.push({
      q: q.lin,
      k: k.lin,
      v: v.lin,
      attnOut: o.lin,
      ffnIn: fi.lin,
      ffnOut: fo.lin,
      ln1: ln1.p,
      ln2: ln2.p,
    });
    h = ln2.y;
  }
  const matmulHead = opts.head === 'matmul';
  const dense = (name: string, x: string, out: number) =>
    matmulHead ? linear(name, x, out, H, false) : gemm(name, x, out, H);
  // HF: Gather(h, 0, axis 1) -> [B, H]; export_onnx.py: Slice h[:, 0:1, :] -> [B, 1, H].
  const cls = matmulHead
    ? g.node(
        'Slice',
        [h, g.int64(g.fresh('s0'), [1], [0]), g.int64(g.fresh('s1'), [1], [1]), g.int64(g.fresh('ax'), [1], [1])],
        [],
        'pooler',
      )
    : g.node('Gather', [h, g.int64('cls_index', [], [0])], [int('axis', 1)], 'pooler');
  let pooled = cls;
  let pooler: Linear | undefined;
  if (opts.pooler !== false) {
    const pd = dense('pooler.dense', cls, H);
    pooled = g.node('Tanh', [pd.y], [], 'pooler');
    pooler = pd.lin;
  }
  const c = dense('classifier', pooled, cfg.labels);
  if (matmulHead)
    g.nodes.push({
      opType: 'Gather',
      input: [c.y, g.int64('row0', [], [0])],
      output: ['logits'],
      name: '/Gather_logits',
      attribute: [int('axis', 1)],
    });
  else g.nodes.push({ opType: 'Identity', input: [c.y], output: ['logits'], name: '/Identity_logits' });

  const tokenInput = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.INT64,
        shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] },
      },
    },
  });
  const inputNames = ['input_ids', 'attention_mask', 'token_type_ids'].filter((n) => n !== opts.omitInput);
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tiny-bert-onnx (tests)',
    opsetImport: [{ domain: '', version: fused ? 17 : 14 }],
    graph: {
      name: 'tiny_bert',
      node: g.nodes,
      initializer: g.inits,
      input: inputNames.map(tokenInput),
      output: [
        {
          name: 'logits',
          type: {
            tensorType: {
              elemType: onnx.TensorProto.DataType.FLOAT,
              shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: cfg.labels }] },
            },
          },
        },
      ],
    },
  });
  const bytes = onnx.ModelProto.encode(proto).finish();
  const model: BertModel = {
    config: cfg,
    embeddings: { word, position, tokenType, ln: embLn.p },
    layers,
    pooler,
    classifier: c.lin,
  };
  return { bytes: new Uint8Array(bytes), model };
}

/** A valid ONNX model that is not BERT: a two-layer MLP over a float input. */
export function buildMlpOnnx(): Uint8Array {
  const g = new GraphBuilder();
  const w1 = g.float('fc1.weight', [4, 8], new Float32Array(32).fill(0.1));
  const w2 = g.float('fc2.weight', [8, 2], new Float32Array(16).fill(0.2));
  const h = g.node('Relu', [g.node('MatMul', ['x', w1], [], 'fc1')], [], 'fc1');
  g.nodes.push({ opType: 'MatMul', input: [h, w2], output: ['y'], name: 'fc2' });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'mlp',
      node: g.nodes,
      initializer: g.inits,
      input: [
        { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 4 }] } } } },
      ],
      output: [
        { name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 2 }] } } } },
      ],
    },
  });
  return new Uint8Array(onnx.ModelProto.encode(proto).finish());
}
