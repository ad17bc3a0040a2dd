// The int8 twin of hp-columns-ln.wgsl: the encoder's HP attention-output / FFN-output linear in
// W8A8 fused with its input quantizer, bias, the residual, LayerNorm and the next linear's
// quantizer, in one dispatch instead of four (int8-quantize rows, the dot4 HP kernel, the int8
// residual + LayerNorm of add-layernorm-int8.wgsl). One workgroup: 16 tokens x all NT tile-rows.
// (A) One subgroup a token row of X (f32 rows, tokens x 4 KIN4): its largest |x|, scale and codes
// (int8-scale.wgsl, appended: int8-quantize's numbers), the codes as rows in workgroup memory.
// (B) For each tile-row, its kept columns' codes gathered four to a word per token (the layout
// hpInt8Layout gives W: word kk of a tile-row = kept columns 4kk .. 4kk + 3), a token quad as
// one vec4, each tile-row's words a spare vec4 apart (bank spread).
// (C) Invocation (token quad tq, tile-row r, output quad tx): 4 tokens x 4 outputs in i32, one
// vec4 of gathered words and one vec4 of W's words a step, 16 dot4I8Packed.
// Epilogue: y = f32(f32(acc) * f32(sx * ws)) + b (int8-linear.wgsl's, bit for bit), + the
// residual x, staged as rows; then one subgroup a row: LayerNorm and (CODES) the next int8
// linear's codes and scale, exactly add-layernorm-int8.wgsl's COLUMNS form (its numbers, its
// column layout: column c's 16 tokens one vec4 at codes[c * tw / 4 + block]).
// Prepended: subgroup-common.wgsl (hoisted); appended: int8-scale.wgsl, int8-bytes.wgsl.

struct Params { tokens: u32, tw: u32, eps: f32, _p1: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xin: array<vec4<f32>>;
/** Per tile-row its 4 KW kept columns' input indices (NO_COLUMN: padding), a vec4 per word kk;
 *  then (the 'read' scale) read-mask words (int8-scale.wgsl readLanes): READ_IN, the input's from
 *  word RIN; READ_OUT, the next linear's from word ROUT. */
@group(0) @binding(2) var<storage, read> cols: array<vec4<u32>>;
/** W's codes: word (r * KW + kk) * TR + o (kept columns 4kk.. of output o of tile-row r), as vec4 over o. */
@group(0) @binding(3) var<storage, read> wq: array<vec4<u32>>;
/** W's scales (NT * TR) then the bias (NT * TR). */
@group(0) @binding(4) var<storage, read> wsb: array<vec4<f32>>;
/** gamma (H) then beta (H). */
@group(0) @binding(5) var<storage, read> gamma_beta: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> codes: array<vec4<u32>>;
@group(0) @binding(8) var<storage, read_write> scales: array<f32>;

const TR4 = {{TR}}u / 4u;
const NT = {{NT}}u;
const H = {{H}}u;
const H4 = {{H}}u / 4u;
const RP = H4 + 1u; // staged row pitch (vec4)
const KIN4 = {{KIN4}}u; // vec4 (code words) of an input row
const KW = {{KW}}u; // code words of a tile-row's kept columns
const SG = {{SG}}u;
const THREADS = {{THREADS}}u; // CT, or (ROWSG) 16 subgroups: one a token row
const CT = 4u * NT * TR4; // invocations of the product
const NSG = THREADS / SG;
const WORDS = {{WORDS}}u; // code words of an output row (int8RowWords(H))
const AG4 = {{AG4}}u; // vec4 offset of the gathered words
const AGR = 4u * KW + 1u; // their tile-row pitch (vec4)
const OC = {{OC}}u; // word offset of the output codes (past the staged rows)
const WB = {{WB}}u; // W words loaded at once
const NO_COLUMN = 0xffffffffu;

// (A) input codes as rows (words 0 ..), (B) gathered words (vec4 AG4 ..); after the K loop the
// staged rows (vec4 0 .. 16 RP) and the output codes (words OC ..).
var<workgroup> sm: array<vec4<u32>, {{SMEM4}}>;
var<workgroup> sxs: array<f32, 16>;

/** Word i of `cols` (the read masks). */
fn colsWord(i: u32) -> u32 {
  return cols[i / 4u][i % 4u];
}

fn word(i: u32) -> u32 {
  return sm[i / 4u][i % 4u];
}

fn absMax4(v: vec4<f32>) -> f32 {
  let a = abs(v);
  return max(max(a.x, a.y), max(a.z, a.w));
}

/** Byte `sh / 8` of output-code word w of the block's tokens 4g .. 4g + 3, as one word. */
fn column_word(g: u32, w: u32, sh: u32) -> u32 {
  var v = 0u;
  for (var t = 0u; t < 4u; t++) { v |= ((word(OC + (4u * g + t) * WORDS + w) >> sh) & 0xffu) << (8u * t); }
  return v;
}

@compute @workgroup_size({{THREADS}})
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let slot = claimSubgroupSlot(li);
  let M = params.tokens;
  let block = wid.y * nwg.x + wid.x;
  let t0 = block * 16u;
  if (t0 >= M) { return; } // a 2-D grid's spare workgroups (uniform)
  let tx = li % TR4;
  let r = (li / TR4) % NT;
  let tq = li / (TR4 * NT);
//#if WPRE
  // WPRE: W's first batch loaded before the quantizing (its latency hidden behind it), each next
  // batch before the products of this one.
//#unroll B {{WB}}
  var pw{{B}} = vec4<u32>();
  if (li < CT && {{B}}u < KW) { pw{{B}} = wq[(r * KW + {{B}}u) * TR4 + tx]; }
//#end
//#endif

  // (A) Rows past the last token quantize the last token's row (their outputs are not stored).
//#if NO_QUANT
  for (var k = 16u + slot; k < 16u; k += NSG) {
//#else
  for (var k = slot; k < 16u; k += NSG) {
//#endif
    let t = min(t0 + k, M - 1u);
    var m = 0.0;
//#unroll J {{PER_IN}}
    let i{{J}} = lane + {{J}}u * SG;
    var v{{J}} = vec4<f32>(0.0);
    if (i{{J}} < KIN4) {
      v{{J}} = xin[t * KIN4 + i{{J}}];
//#if READ_IN
      v{{J}} = select(vec4<f32>(), v{{J}}, readLanes(colsWord({{RIN}}u + i{{J}}))); // columns not read: 0
//#endif
    }
    m = max(m, absMax4(v{{J}}));
//#end
    let si = rowScale(subgroupMax(m));
    if (lane == 0u) { sxs[k] = si.x; }
//#unroll J {{PER_IN}}
    if (i{{J}} < KIN4) {
      let w = k * KIN4 + i{{J}};
      sm[w / 4u][w % 4u] = pack4(v{{J}}, si.y);
    }
//#end
  }
  workgroupBarrier();

  // (B) Item e: word e / 4 = r KW + kk of the tile-rows, token quad e % 4; every item's kept columns
  // loaded before the gathers (NB items an invocation).
//#unroll N {{NB}}
  let e{{N}} = li + {{N}}u * THREADS;
  var c{{N}} = vec4<u32>(NO_COLUMN);
//#if NO_GATHER
//#else
  if (e{{N}} < NT * KW * 4u) { c{{N}} = cols[e{{N}} / 4u]; }
//#endif
//#end
//#unroll N {{NB}}
  if (e{{N}} < NT * KW * 4u) {
    let tq = e{{N}} % 4u;
    var o = vec4<u32>();
//#unroll J 4
    {
      let col = c{{N}}[{{J}}];
      if (col != NO_COLUMN) {
        let w = col / 4u;
        let sh = 8u * (col % 4u);
        o.x |= ((word((4u * tq) * KIN4 + w) >> sh) & 0xffu) << (8u * {{J}}u);
        o.y |= ((word((4u * tq + 1u) * KIN4 + w) >> sh) & 0xffu) << (8u * {{J}}u);
        o.z |= ((word((4u * tq + 2u) * KIN4 + w) >> sh) & 0xffu) << (8u * {{J}}u);
        o.w |= ((word((4u * tq + 3u) * KIN4 + w) >> sh) & 0xffu) << (8u * {{J}}u);
      }
    }
//#end
    let rk = e{{N}} / 4u;
    sm[AG4 + (rk / KW) * AGR + 4u * (rk % KW) + tq] = o;
  }
//#end
  workgroupBarrier();

  // (C) Invocations past CT (ROWSG) idle here.
//#unroll I 4
  var acc{{I}} = vec4<i32>();
//#end
  if (li < CT) {
    // W's words in batches of WB, all of a batch's loads issued before its products (one load
    // waited on at a time made the products ~3/4 of the kernel: a latency chain of KW loads).
//#if NO_LOOP
    for (var k0 = KW; k0 < KW; k0 += WB) {
//#else
    for (var k0 = 0u; k0 < KW; k0 += WB) {
//#endif
//#if WPRE
//#unroll B {{WB}}
      let w{{B}} = pw{{B}};
//#end
//#unroll B {{WB}}
      pw{{B}} = vec4<u32>();
      if (k0 + WB + {{B}}u < KW) { pw{{B}} = wq[(r * KW + k0 + WB + {{B}}u) * TR4 + tx]; }
//#end
//#else
//#unroll B {{WB}}
      var w{{B}} = vec4<u32>();
      if (k0 + {{B}}u < KW) { w{{B}} = wq[(r * KW + k0 + {{B}}u) * TR4 + tx]; }
//#end
//#endif
//#unroll B {{WB}}
      {
        let a = sm[AG4 + r * AGR + 4u * min(k0 + {{B}}u, KW - 1u) + tq];
        let w = w{{B}};
//#unroll I 4
        acc{{I}} += vec4<i32>(dot4I8Packed(a[{{I}}], w.x), dot4I8Packed(a[{{I}}], w.y), dot4I8Packed(a[{{I}}], w.z),
          dot4I8Packed(a[{{I}}], w.w));
//#end
      }
//#end
    }
  }
  workgroupBarrier(); // the staged rows overwrite the gathered words

  let o4 = r * TR4 + tx;
  if (li < CT && o4 < H4) {
    let ws = wsb[o4];
    let b = wsb[NT * TR4 + o4];
//#unroll I 4
    {
      let k = 4u * tq + {{I}}u;
      let t = min(t0 + k, M - 1u);
      let sx = sxs[k];
      let s = vec4<f32>(rounded(sx * ws.x), rounded(sx * ws.y), rounded(sx * ws.z), rounded(sx * ws.w));
      let a = acc{{I}};
      let y = vec4<f32>(rounded(exactF32(a.x) * s.x), rounded(exactF32(a.y) * s.y), rounded(exactF32(a.z) * s.z),
        rounded(exactF32(a.w) * s.w)) + b;
      sm[k * RP + o4] = bitcast<vec4<u32>>(y + x[t * H4 + o4]);
    }
//#end
  }
  workgroupBarrier();

  // LayerNorm a row a subgroup (add-layernorm-int8.wgsl's sums, in its order), lane holding vec4s
  // lane + j SG; rows past the last token normalise whatever they hold and store zero codes.
//#if NO_LN
  for (var k = 16u + slot; k < 16u; k += NSG) {
//#else
  for (var k = slot; k < 16u; k += NSG) {
//#endif
    let row = t0 + k;
    let live = row < M;
    var s = 0.0;
//#unroll J {{PER4}}
    let i{{J}} = lane + {{J}}u * SG;
    var v{{J}} = vec4<f32>(0.0);
    if (i{{J}} < H4) {
      v{{J}} = bitcast<vec4<f32>>(sm[k * RP + i{{J}}]);
      s += (v{{J}}.x + v{{J}}.y) + (v{{J}}.z + v{{J}}.w);
    }
//#end
    let mean = subgroupAdd(s) / f32(H);
    var q = 0.0;
//#unroll J {{PER4}}
    if (i{{J}} < H4) {
      let d = v{{J}} - vec4<f32>(mean);
      q += (d.x * d.x + d.y * d.y) + (d.z * d.z + d.w * d.w);
    }
//#end
    let inv = inverseSqrt(subgroupAdd(q) / f32(H) + params.eps);
    var m = 0.0;
//#unroll J {{PER4}}
    if (i{{J}} < H4) {
      v{{J}} = (v{{J}} - vec4<f32>(mean)) * inv * gamma_beta[i{{J}}] + gamma_beta[H4 + i{{J}}];
      if (live) { x[row * H4 + i{{J}}] = v{{J}}; }
//#if READ_OUT
      v{{J}} = select(vec4<f32>(), v{{J}}, readLanes(colsWord({{ROUT}}u + i{{J}}))); // the next linear's codes
//#endif
      m = max(m, absMax4(v{{J}}));
    }
//#end
//#if CODES
    let si = rowScale(subgroupMax(m));
    if (live && lane == 0u) { scales[row] = si.x; }
//#unroll J {{PER4}}
    if (i{{J}} < H4) {
      let w = OC + k * WORDS + i{{J}};
      sm[w / 4u][w % 4u] = select(0u, pack4(v{{J}}, si.y), live);
    }
//#end
//#endif
  }
//#if CODES
  workgroupBarrier();
  for (var c = li; c < 4u * WORDS; c += THREADS) {
    var o = vec4<u32>();
    if (c < H) {
      let w = c / 4u;
      let sh = 8u * (c % 4u);
      o = vec4<u32>(column_word(0u, w, sh), column_word(1u, w, sh), column_word(2u, w, sh), column_word(3u, w, sh));
    }
    codes[c * (params.tw / 4u) + block] = o;
  }
//#endif
}
