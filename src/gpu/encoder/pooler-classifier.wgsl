// The classification head on [CLS] (token 0 of each sequence): pooled = tanh(Wp h + bp) when
// the model has a pooler (else pooled = h), logits = Wc pooled + bc. Workgroup (s, b) computes
// slice s of sequence b's pooled outputs (4 * SV of them) and that slice's share of the logits;
// the S shares of a sequence are added on the CPU after the readback (head.ts sumHeadShares).
// Why slices: one workgroup a sequence read all of Wpᵀ (390 KB at H = 312) through one SM,
// 10.6 us on the H200 at any batch; S workgroups a sequence each read an S-th.
// In a slice, thread (c, v) sums inputs [c*IC, (c+1)*IC) for outputs 4*(s*SV + v) .. +3 (one
// vec4 of Wpᵀ a step), then the C chunks' partial sums are added through workgroup memory.
// With LN (the [CLS] tail's last residual + LayerNorm taken in, head.ts withLayerNorm): h =
// LayerNorm(a + x) of the row, a being PARTS blocks of split-K partial sums (rows x H each) as
// add-layernorm-subgroup-row.wgsl adds them; each slice's workgroup normalises the row itself, a
// dispatch fewer than the LayerNorm apart (nothing else reads the normalised row).
// Prepended: consts H, H4 = ceil(H / 4), SV (vec4s of outputs a slice), S = ceil(H4 / SV),
// C = chunks, IC = ceil(H / C), WG, PER, LABELS, HAS_POOLER, PARTS and row-norm.wgsl (wg_sum,
// normalize_row); //#if / //#unroll blocks expanded by wgsl-template.ts.

/** seq: x's rows a sequence (row b * seq is its [CLS]); with LN rows (a's block height) and eps. */
struct Params { seq: u32, rows: u32, eps: f32, _p2: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
/** Wpᵀ (H inputs x H4 vec4s of outputs, zero-padded), then bp (H4 vec4s). */
@group(0) @binding(2) var<storage, read> pooler: array<vec4<f32>>;
/** Wc (LABELS x H, row-major), then bc. */
@group(0) @binding(3) var<storage, read> classifier: array<f32>;
/** Per sequence b and slice s, the slice's share of the logits at (b * S + s) * LABELS. */
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;
//#if LN
/** The last linear's split-K partial sums: PARTS blocks of rows x H. */
@group(0) @binding(5) var<storage, read> a: array<f32>;
/** The LayerNorm's gamma (H) then beta (H). */
@group(0) @binding(6) var<storage, read> gamma_beta: array<f32>;
//#endif

var<workgroup> cls: array<f32, H>;
var<workgroup> part: array<vec4<f32>, C * SV>;
var<workgroup> pooled: array<f32, 4 * SV>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = wid.x;
  let b = wid.y;
  let x0 = b * p.seq * H;
//#if LN
  var v: array<f32, PER>;
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) {
      var u = a[b * H + i] + x[x0 + i];
      for (var r = 1u; r < PARTS; r++) { u += a[(r * p.rows + b) * H + i]; }
      v[j] = u;
    }
  }
  let n = normalize_row(v, lid, p.eps);
  for (var j = 0u; j < PER; j++) {
    let i = lid + j * WG;
    if (i < H) { cls[i] = n[j] * gamma_beta[i] + gamma_beta[H + i]; }
  }
//#else
  for (var i = lid; i < H; i += WG) { cls[i] = x[x0 + i]; }
//#endif
  workgroupBarrier();
  // This thread's output in the slice (lid < 4 * SV), and whether it exists (the last slice may be short).
  let o = s * SV * 4u + lid;
  let mine = lid < 4u * SV && o < H;
  if (HAS_POOLER) {
    if (lid < C * SV) {
      let o4 = min(s * SV + lid % SV, H4 - 1u); // a short slice's spare threads repeat a column
      let i0 = (lid / SV) * IC;
      let i1 = min(H, i0 + IC);
      // Four loads in flight a thread: the chunks are short (IC inputs).
//#unroll U 4
      var a{{U}} = vec4<f32>(0.0);
//#end
      var i = i0;
      for (; i + 3u < i1; i += 4u) {
//#unroll U 4
        a{{U}} = fma(vec4<f32>(cls[i + {{U}}u]), pooler[(i + {{U}}u) * H4 + o4], a{{U}});
//#end
      }
      for (; i < i1; i++) { a0 = fma(vec4<f32>(cls[i]), pooler[i * H4 + o4], a0); }
      part[lid] = (a0 + a1) + (a2 + a3);
    }
    workgroupBarrier();
    if (mine) {
      var acc = pooler[H * H4 + o / 4u][o % 4u];
      for (var c = 0u; c < C; c++) { acc += part[c * SV + lid / 4u][lid % 4u]; }
      pooled[lid] = tanh(clamp(acc, -15.0, 15.0)); // clamp: some tanh lowerings overflow to NaN
    }
  } else if (mine) {
    pooled[lid] = cls[o];
  }
  workgroupBarrier();
  for (var c = 0u; c < LABELS; c++) {
    var share = 0.0;
    if (mine) { share = classifier[c * H + o] * pooled[lid]; }
    let total = wg_sum(share, lid);
    if (lid == 0u) {
      let bias = select(0.0, classifier[LABELS * H + c], s == 0u);
      logits[(b * S + s) * LABELS + c] = total + bias;
    }
  }
}
