// Reads one word of every 32 bytes (an L2 sector on NVIDIA GPUs) of up to six buffers, so their
// lines sit in the GPU's cache afterwards: a forward's prefetch reads the weights of its last small
// dispatches before their turn (forward-steps.ts), and on one buffer larger than the cache the
// profile's cold timing leaves the cache holding nothing of the dispatch it times next
// (op-profile.ts). Reads, not writes: clean lines cost the next dispatch nothing to replace. Each
// invocation stores the XOR of its words in the sink, so no load is optimised away (and a test can
// check that every sector was read).

/** words[i / 4][i % 4]: the words of buffer i to read (0 where that binding is unused). */
struct Params { words: array<vec4<u32>, 2> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> b0: array<u32>;
@group(0) @binding(2) var<storage, read> b1: array<u32>;
@group(0) @binding(3) var<storage, read> b2: array<u32>;
@group(0) @binding(4) var<storage, read> b3: array<u32>;
@group(0) @binding(5) var<storage, read> b4: array<u32>;
@group(0) @binding(6) var<storage, read> b5: array<u32>;
/** One word an invocation. */
@group(0) @binding(7) var<storage, read_write> sink: array<u32>;

const WG = 256u;
const SECTOR_WORDS = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let step = nwg.x * WG * SECTOR_WORDS;
  let first = gid.x * SECTOR_WORDS;
  var fold = 0u;
  for (var i = first; i < p.words[0].x; i += step) { fold ^= b0[i]; }
  for (var i = first; i < p.words[0].y; i += step) { fold ^= b1[i]; }
  for (var i = first; i < p.words[0].z; i += step) { fold ^= b2[i]; }
  for (var i = first; i < p.words[0].w; i += step) { fold ^= b3[i]; }
  for (var i = first; i < p.words[1].x; i += step) { fold ^= b4[i]; }
  for (var i = first; i < p.words[1].y; i += step) { fold ^= b5[i]; }
  sink[gid.x] = fold;
}
