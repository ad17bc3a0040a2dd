// The core-WGSL ceilings (hp-lab bench peak; issue 15): dot4I8Packed / dot4U8Packed (DOT4, the
// CUDA-core int8 rate the dot4 linears run at) or f32 fma (FMA, the f32 engine's rate), NACC
// independent chains per invocation, params.iters x UNR steps each, nothing else in the loop.
// DOT4 step: acc = dot4{I8|U8}Packed(acc's own bytes, b) + acc, the int8 linears' expression
// (acc += dot4I8Packed(a, b)) with an operand that changes every step, so nothing can be hoisted
// or folded. FMA step: acc = fma(acc, m, c) with m = 1, c = 1 from the uniform (unknown to the
// compiler): acc counts the steps exactly. Each invocation writes the sum of its chains;
// lab/peak-bench.ts replays the chains of sampled invocations on the CPU and compares exactly.

struct Params { iters: u32, b: u32, m: f32, c: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>; // unused (the layout of peak-mma.wgsl)
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

const THREADS = {{THREADS}}u;

@compute @workgroup_size({{THREADS}}, 1, 1)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = wid.x * THREADS + tid;
//#unroll I {{NACC}}
//#if FMA
  var acc{{I}} = f32(g % 1024u + {{I}}u);
//#else
  var acc{{I}} = {{AT}}(g * {{NACC}}u + {{I}}u);
  let b{{I}} = params.b + {{I}}u * 0x01030507u;
//#endif
//#end
  for (var it = 0u; it < params.iters; it++) {
//#unroll U {{UNR}}
//#unroll I {{NACC}}
//#if FMA
    acc{{I}} = fma(acc{{I}}, params.m, params.c);
//#else
    acc{{I}} = {{DOT}}(bitcast<u32>(acc{{I}}), b{{I}}) + acc{{I}};
//#endif
//#end
//#end
  }
//#if FMA
  var s = 0.0;
//#else
  var s = {{AT}}();
//#endif
//#unroll I {{NACC}}
  s += acc{{I}};
//#end
  y[g] = bitcast<u32>(s);
}
