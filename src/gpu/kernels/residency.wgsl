// How many workgroups of one shape an SM (compute unit) holds at once (hp-lab bench residency):
// a workgroup of THREADS invocations that declares WORDS words of workgroup memory and keeps LIVE
// values live through a loop of params.spin steps. On arrival its first invocation counts itself
// into counters[0] (live now) and raises counters[1] (the most seen at once) to it; on leaving it
// counts itself out and into counters[2] (finished). The loop is long against the launch of a
// wave, so every workgroup the GPU can hold overlaps the others: counters[1] is the residency,
// counted, not inferred from times. Each invocation writes a hash of its loop (y), which
// lab/residency-bench.ts replays on the CPU for sampled invocations: the loop really ran.

struct Params { spin: u32, seed: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> counters: array<atomic<u32>, 4>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

const THREADS = {{THREADS}}u;
const WORDS = {{WORDS}}u;
var<workgroup> held: array<u32, WORDS>;

@compute @workgroup_size({{THREADS}}, 1, 1)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  // Every word written and one read back below, so the whole array stays allocated.
  for (var i = tid; i < WORDS; i += THREADS) {
    held[i] = i ^ params.seed;
  }
  if (tid == 0u) {
    let now = atomicAdd(&counters[0], 1u) + 1u;
    atomicMax(&counters[1], now);
  }
  workgroupBarrier();
  let g = wid.x * THREADS + tid;
  var x = held[(g * 7u) % WORDS] + g;
//#unroll I {{LIVE}}
  var r{{I}} = x + {{I}}u;
//#end
  for (var it = 0u; it < params.spin; it++) {
    x = x * 1664525u + 1013904223u;
//#unroll I {{LIVE}}
    r{{I}} = (r{{I}} ^ x) * 2654435761u;
//#end
  }
  workgroupBarrier();
  if (tid == 0u) {
    atomicSub(&counters[0], 1u);
    atomicAdd(&counters[2], 1u);
  }
  var s = x;
//#unroll I {{LIVE}}
  s = s * 31u + r{{I}};
//#end
  y[g] = s;
}
