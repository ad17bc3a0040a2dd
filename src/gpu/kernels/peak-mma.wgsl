// The subgroup-matrix (tensor-core) ceiling: what chromium_experimental_subgroup_matrix's
// subgroupMatrixMultiplyAccumulate can reach on this adapter with nothing else in the loop
// (hp-lab bench peak; issue 15). Each subgroup holds FA left (M x K) and FB right (K x N)
// fragments and FA x FB independent result fragments (M x N), and multiplies every pair
// params.iters x UNR times. REG: the fragments are loaded once from workgroup memory before the
// loop (the MMA rate alone). LDS: every iteration loads them again from workgroup memory, from
// one of two identical copies picked by the iteration's parity (so no load can be hoisted),
// as the int8 linears' inner loop does: flat memory at a run-time offset (robustness predicates
// each load), or BAND (one band per fragment, constant offsets, the band picked by index: the
// banded dense tiles' form). Afterwards each subgroup adds its result fragments into one M x N
// strip of workgroup memory and writes it out, so no product is dead code: every element is
// iters x UNR x the sum over (I, J) of (A_I B_J), which lab/peak-bench.ts checks exactly.
enable chromium_experimental_subgroup_matrix;
enable subgroups;
diagnostic(off, chromium.subgroup_matrix_uniformity);

struct Params { iters: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<{{WT}}>; // the FA + FB fragments, packed
@group(0) @binding(2) var<storage, read_write> y: array<{{WT}}>; // one M x N strip a subgroup

const SUBGROUPS = {{SUBGROUPS}}u;
const THREADS = {{SG}}u * {{SUBGROUPS}}u;
const M = {{M}}u;
const N = {{N}}u;
const K = {{K}}u;
const FA = {{FA}}u;
const FB = {{FB}}u;
const AW = M * K / 4u; // words of a left fragment (four 8-bit codes a word)
const BW = N * K / 4u;
const INW = FA * AW + FB * BW; // words of one copy of the operands
const MN = M * N;

//#if BAND
// Band f (of copy c: c * (FA + FB) + f) holds fragment f; the epilogue's strips and sums are
// bands too (subgroup s: bands s and SUBGROUPS + s).
const BANDW = max(max(AW, BW), MN);
var<workgroup> smb: array<array<{{WT}}, BANDW>, max(2u * (FA + FB), 2u * SUBGROUPS)>;
fn poke(i: u32, v: {{WT}}) { smb[i / BANDW][i % BANDW] = v; }
fn peek(i: u32) -> {{WT}} { return smb[i / BANDW][i % BANDW]; }
//#else
const BANDW = MN; // the epilogue's strip of a subgroup (flat memory: strip s at s * MN)
var<workgroup> sm: array<{{WT}}, max(2u * INW, 2u * SUBGROUPS * MN)>;
fn poke(i: u32, v: {{WT}}) { sm[i] = v; }
fn peek(i: u32) -> {{WT}} { return sm[i]; }
//#endif

/** Where word w of copy c of the operands goes (flat: c * INW + w; banded: fragment f's band). */
fn operandAt(c: u32, w: u32) -> u32 {
//#if BAND
  let f = select(FA + (w - FA * AW) / BW, w / AW, w < FA * AW);
  let o = select((w - FA * AW) % BW, w % AW, w < FA * AW);
  return (c * (FA + FB) + f) * BANDW + o;
//#else
  return c * INW + w;
//#endif
}

@compute @workgroup_size({{SG}} * {{SUBGROUPS}}, 1, 1)
fn main(
  @builtin(local_invocation_index) tid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) sgSize: u32,
) {
  let sg = subgroupBroadcastFirst(tid / sgSize);
  for (var i = tid; i < 2u * INW; i += THREADS) { poke(operandAt(i / INW, i % INW), src[i % INW]); }
  workgroupBarrier();

//#unroll I {{FA}}
//#unroll J {{FB}}
  var acc{{I}}{{J}}: subgroup_matrix_result<{{RT}}, {{N}}, {{M}}>;
//#end
//#end
//#if LDS
//#else
//#unroll I {{FA}}
  let a{{I}} = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{K}}, {{M}}>>(&sm, ({{I}}u * AW) * 4u, false, K);
//#end
//#unroll J {{FB}}
  let b{{J}} = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, {{N}}, {{K}}>>(
    &sm, (FA * AW + {{J}}u * BW) * 4u, true, K
  );
//#end
//#endif
  for (var it = 0u; it < params.iters; it++) {
//#if LDS
    let c = it & 1u;
//#if BAND
//#unroll I {{FA}}
    let a{{I}} = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{K}}, {{M}}>>(
      &smb[c * (FA + FB) + {{I}}u], 0u, false, K
    );
//#end
//#unroll J {{FB}}
    let b{{J}} = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, {{N}}, {{K}}>>(
      &smb[c * (FA + FB) + FA + {{J}}u], 0u, true, K
    );
//#end
//#else
//#unroll I {{FA}}
    let a{{I}} = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{K}}, {{M}}>>(
      &sm, (c * INW + {{I}}u * AW) * 4u, false, K
    );
//#end
//#unroll J {{FB}}
    let b{{J}} = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, {{N}}, {{K}}>>(
      &sm, (c * INW + FA * AW + {{J}}u * BW) * 4u, true, K
    );
//#end
//#endif
//#endif
//#unroll U {{UNR}}
//#unroll I {{FA}}
//#unroll J {{FB}}
    acc{{I}}{{J}} = subgroupMatrixMultiplyAccumulate(a{{I}}, b{{J}}, acc{{I}}{{J}});
//#end
//#end
//#end
  }
  workgroupBarrier(); // every subgroup's operands read (the strips below overwrite them)

  // Subgroup sg: its fragments one at a time into strip sg, added into sum strip SUBGROUPS + sg.
  let strip = sg * BANDW;
  let sum = (SUBGROUPS + sg) * BANDW;
  for (var e = lane; e < MN; e += sgSize) { poke(sum + e, {{WT}}()); }
//#unroll I {{FA}}
//#unroll J {{FB}}
//#if BAND
  subgroupMatrixStore(&smb[sg], 0u, acc{{I}}{{J}}, false, N);
//#else
  subgroupMatrixStore(&sm, strip, acc{{I}}{{J}}, false, N);
//#endif
  workgroupBarrier();
  for (var e = lane; e < MN; e += sgSize) { poke(sum + e, peek(sum + e) + peek(strip + e)); }
  workgroupBarrier();
//#end
//#end
  let base = (wid.x * SUBGROUPS + sg) * MN;
  for (var e = lane; e < MN; e += sgSize) { y[base + e] = peek(sum + e); }
}
