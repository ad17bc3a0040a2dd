// attention.wgsl with every per-thread loop written out ('q<QPT>c<KC>[s<S>]u' variants): the
// same algorithm, order of operations per score and merge, but the queries, accumulators, scores
// and running (max, sum) are named scalars and vectors (q0_3, a1_6, s0_7, m1), not arrays indexed
// by loop counters. NVIDIA's compiler kept such arrays in local memory where it did not unroll the
// loops (the int8 dot4-128 tile: 22.5 ms as written, 3.08 written out; BENCHMARKS.md), which
// would explain q2c8s2/s4 running 4x slower than q1c8s2 (issue 19, fourth pass) although each
// key read from workgroup memory feeds two queries. Generated per (QPT, KC, S, D): the constants
// H, D, D4, QT, QPT, S, KT, KC, KV, ML, STRIDE, QO, KO, VO are prepended as for attention.wgsl,
// then attention-load-f32.wgsl (quad_k/quad_v for the K/V staging).

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Lines of generated WGSL, emit(indent, ...lines), started with the attention kernels' shared
 *  declarations (params, mask, ctx; q/k/v come with the load functions). */
export function attentionEmitter(paramsTail = ''): {
  lines: string[];
  emit: (indent: number, ...ls: string[]) => void;
} {
  const lines: string[] = [];
  const emit = (indent: number, ...ls: string[]) => ls.forEach((l) => lines.push('  '.repeat(indent) + l));
  // paramsTail: fields after the four every kernel reads (attention-whole.ts's read form: dims).
  emit(0, `struct Params { seq: u32, scale: f32, heads: u32, _p1: u32${paramsTail} }`);
  emit(0, '@group(0) @binding(0) var<uniform> p: Params;');
  emit(0, '@group(0) @binding(4) var<storage, read> mask: array<u32>;');
  emit(0, '@group(0) @binding(5) var<storage, read_write> ctx: array<f32>;');
  return { lines, emit };
}

/** The WGSL of an unrolled variant: QPT query rows a thread, KC keys a chunk, S key splits, head size
 *  D. `rows2d` ('v' variants): the K/V tile as `array<array<vec4, D4>, rows>`, read as kv[key][quad]
 *  with the quad a constant, so WGSL's bounds clamp touches the key row once per key, not each of
 *  its D4 reads (the dense linears' 2-D tiles, issue 19 sixth pass). */
export function unrolledAttentionWgsl(
  qpt: number,
  kc: number,
  splits: number,
  d: number,
  rows2d = false,
  ablate = 0,
  fmaChain = false,
  /** 'p': with `threads` threads a workgroup and `kt` keys a tile, each thread's items of the next
   *  K/V tile (and its mask biases) are loaded into registers while this tile is computed, stored
   *  after it (rows2d only). */
  prefetch?: { threads: number; kt: number },
): string {
  const d4 = Math.ceil(d / 4);
  const R = range(qpt);
  const C = range(d4);
  const N = range(kc);
  const lanes = (c: number) => range(Math.min(4, d - 4 * c));
  const [noLoads, noScores, noValues, noExp, kRead1, vRead1] = [1, 2, 4, 8, 16, 32].map((b) => (ablate & b) !== 0);
  const exp = (x: string) => (noExp ? `(${x})` : `exp(${x})`);
  const { lines, emit } = attentionEmitter();
  emit(
    0,
    rows2d ? 'var<workgroup> kv: array<array<vec4<f32>, D4>, KV / D4>;' : 'var<workgroup> kv: array<vec4<f32>, KV>;',
  );
  emit(0, 'var<workgroup> ml: array<vec2<f32>, ML>;');
  emit(0, 'var<workgroup> kbias: array<f32, KT>;');
  emit(0, 'const VB = KT * D4;');
  emit(0, '@compute @workgroup_size(QT * S)');
  emit(0, 'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {');
  emit(
    1,
    'let seq = p.seq;',
    'let b = wid.z;',
    'let col = live_head(wid.y) * D;',
    'let slot = lid % QT;',
    'let split = lid / QT;',
  );
  emit(1, 'let first = wid.x * QT * QPT + slot;');
  for (const r of R) {
    // Rows past the end compute a duplicate of the last row, never stored.
    emit(1, `let qr${r} = (b * seq + min(first + ${r}u * QT, seq - 1u)) * STRIDE + QO + col;`);
    for (const c of C) {
      const xs = range(4).map((e) => (e < lanes(c).length ? `q[qr${r} + ${4 * c + e}u]` : '0.0'));
      emit(1, `let q${r}_${c} = vec4<f32>(${xs.join(', ')}) * p.scale;`, `var a${r}_${c} = vec4<f32>(0.0);`);
    }
    emit(1, `var m${r} = -3.0e38;`, `var l${r} = 0.0;`);
  }
  const T = prefetch?.threads ?? 0;
  const IT = prefetch ? range(Math.ceil((prefetch.kt * d4) / T)) : [];
  const BT = prefetch ? range(Math.ceil(prefetch.kt / T)) : [];
  const loadAhead = (indent: number, t: string) => {
    for (const i of IT) {
      emit(indent, `{ let idx = lid + ${i * T}u;`, `  let j = ${t} + idx / D4;`);
      emit(indent, `  kq${i} = vec4<f32>(0.0);`, `  vq${i} = vec4<f32>(0.0);`);
      if (!noLoads) {
        emit(indent, '  if (idx < KT * D4 && j < seq) {', '    let r = (b * seq + j) * STRIDE + col;');
        emit(indent, `    kq${i} = quad_k(r + KO, (idx % D4) * 4u);`, `    vq${i} = quad_v(r + VO, (idx % D4) * 4u);`);
        emit(indent, '  }');
      }
      emit(indent, '}');
    }
    for (const i of BT) {
      emit(indent, `{ let jj = lid + ${i * T}u;`, `  let j = ${t} + jj;`, `  kbt${i} = -1.0e30;`);
      emit(indent, `  if (jj < KT && j < seq) { if (mask[b * seq + j] != 0u) { kbt${i} = 0.0; } }`, '}');
    }
  };
  if (T) {
    for (const i of IT) emit(1, `var kq${i} = vec4<f32>(0.0);`, `var vq${i} = vec4<f32>(0.0);`);
    for (const i of BT) emit(1, `var kbt${i} = -1.0e30;`);
    loadAhead(1, '0u');
  }
  emit(1, 'for (var t0 = 0u; t0 < seq; t0 += KT) {');
  if (T) {
    for (const i of IT) {
      emit(2, `{ let idx = lid + ${i * T}u;`, '  if (idx < KT * D4) {');
      emit(2, `    kv[idx / D4][idx % D4] = kq${i};`, `    kv[KT + idx / D4][idx % D4] = vq${i};`, '  }', '}');
    }
    for (const i of BT) emit(2, `{ let jj = lid + ${i * T}u;`, `  if (jj < KT) { kbias[jj] = kbt${i}; } }`);
    emit(2, 'workgroupBarrier();', 'if (t0 + KT < seq) {');
    loadAhead(3, 't0 + KT');
    emit(2, '}');
  }
  if (!T) {
    emit(2, 'for (var idx = lid; idx < KT * D4; idx += QT * S) {');
    emit(
      3,
      'let j = t0 + idx / D4;',
      'let e = (idx % D4) * 4u;',
      'var kq = vec4<f32>(0.0);',
      'var vq = vec4<f32>(0.0);',
    );
    if (!noLoads) {
      emit(3, 'if (j < seq) {', '  let r = (b * seq + j) * STRIDE + col;', '  kq = quad_k(r + KO, e);');
      emit(3, '  vq = quad_v(r + VO, e);', '}');
    }
    if (rows2d) emit(3, 'kv[idx / D4][idx % D4] = kq;', 'kv[KT + idx / D4][idx % D4] = vq;');
    else emit(3, 'kv[idx] = kq;', 'kv[VB + idx] = vq;');
    emit(2, '}');
    emit(2, 'for (var jj = lid; jj < KT; jj += QT * S) {');
    emit(3, 'let j = t0 + jj;', 'var bias = -1.0e30;', 'if (j < seq) { if (mask[b * seq + j] != 0u) { bias = 0.0; } }');
    emit(3, 'kbias[jj] = bias;');
    emit(2, '}');
    emit(2, 'workgroupBarrier();');
  }
  emit(2, 'let kn = min(KT, seq - t0); // chunks past the sequence end are skipped');
  emit(2, 'for (var c0 = split * KC; c0 < kn; c0 += S * KC) {');
  for (const n of N) {
    emit(3, `let kb${n} = kbias[c0 + ${n}u];`);
    for (const r of R) emit(3, `var s${r}_${n} = kb${n};`);
    for (const c of noScores ? [] : C) {
      const kc = kRead1 ? 0 : c;
      emit(3, rows2d ? `{ let kk = kv[c0 + ${n}u][${kc}u];` : `{ let kk = kv[(c0 + ${n}u) * D4 + ${kc}u];`);
      for (const r of R) {
        const q = `q${r}_${c}`;
        const chain = lanes(c).reduce((acc, e) => `fma(${q}.${'xyzw'[e]}, kk.${'xyzw'[e]}, ${acc})`, `s${r}_${n}`);
        emit(4, fmaChain ? `s${r}_${n} = ${chain};` : `s${r}_${n} += dot(${q}, kk);`);
      }
      emit(3, '}');
    }
  }
  for (const r of R) {
    emit(3, `var mx${r} = m${r};`);
    for (const n of N) emit(3, `mx${r} = max(mx${r}, s${r}_${n});`);
    emit(3, `let sc${r} = ${exp(`m${r} - mx${r}`)};`, `m${r} = mx${r};`, `var lr${r} = l${r} * sc${r};`);
    for (const n of N) emit(3, `s${r}_${n} = ${exp(`s${r}_${n} - mx${r}`)};`, `lr${r} += s${r}_${n};`);
    emit(3, `l${r} = lr${r};`);
    for (const c of C) emit(3, `a${r}_${c} *= sc${r};`);
  }
  for (const n of noValues ? [] : N) {
    for (const c of C) {
      const vc = vRead1 ? 0 : c;
      emit(3, rows2d ? `{ let vv = kv[KT + c0 + ${n}u][${vc}u];` : `{ let vv = kv[VB + (c0 + ${n}u) * D4 + ${vc}u];`);
      for (const r of R) emit(4, `a${r}_${c} += s${r}_${n} * vv;`);
      emit(3, '}');
    }
  }
  emit(2, '}');
  emit(2, 'workgroupBarrier(); // the next tile (or the merge) overwrites kv');
  emit(1, '}');

  if (splits > 1) {
    // The splits' merge, as attention.wgsl's, one row of each slot at a time.
    for (const r of R) emit(1, `ml[(split * QT + slot) * QPT + ${r}u] = vec2<f32>(m${r}, l${r});`);
    emit(1, 'workgroupBarrier();');
    for (const r of R) {
      emit(1, '{');
      emit(2, 'var mx = -3.0e38;');
      emit(2, `for (var s2 = 0u; s2 < S; s2++) { mx = max(mx, ml[(s2 * QT + slot) * QPT + ${r}u].x); }`);
      emit(2, 'var sum = 0.0;');
      emit(2, 'for (var s2 = 0u; s2 < S; s2++) {', `  let part = ml[(s2 * QT + slot) * QPT + ${r}u];`);
      emit(2, '  sum += part.y * exp(part.x - mx);', '}');
      emit(2, `let f = exp(m${r} - mx) / sum;`);
      for (const c of C)
        emit(
          2,
          `${rows2d ? `kv[split * QT + slot][${c}u]` : `kv[(split * QT + slot) * D4 + ${c}u]`} = a${r}_${c} * f;`,
        );
      emit(2, 'workgroupBarrier();');
      emit(2, 'for (var e = lid; e < QT * D4; e += QT * S) {');
      emit(3, 'let c = e % D4;', 'let sl = e / D4;', 'var o = vec4<f32>(0.0);');
      const part = rows2d ? 'kv[s2 * QT + sl][c]' : 'kv[(s2 * QT + sl) * D4 + c]';
      emit(3, `for (var s2 = 0u; s2 < S; s2++) { o += ${part}; }`);
      emit(3, `let i = wid.x * QT * QPT + sl + ${r}u * QT;`);
      emit(3, 'if (i < seq) {', '  let at = (b * seq + i) * H + col + 4u * c;');
      emit(3, '  for (var x = 0u; x < 4u; x++) { if (4u * c + x < D) { ctx[at + x] = o[x]; } }', '}');
      emit(2, '}');
      emit(2, 'workgroupBarrier();');
      emit(1, '}');
    }
  } else {
    for (const r of R) {
      emit(1, '{', `  let i = first + ${r}u * QT;`, '  if (i < seq) {');
      emit(2, '  let at = (b * seq + i) * H + col;', `  let inv = 1.0 / l${r};`);
      for (const c of C) for (const e of lanes(c)) emit(2, `  ctx[at + ${4 * c + e}u] = a${r}_${c}[${e}] * inv;`);
      emit(1, '  }', '}');
    }
  }
  emit(0, '}');
  return lines.join('\n');
}
