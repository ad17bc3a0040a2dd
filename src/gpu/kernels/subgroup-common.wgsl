// What the few-token subgroup kernels share (dense-subgroup.wgsl, hp-subgroup.wgsl): the
// feature, and how a subgroup learns its number inside the workgroup. Subgroups number
// themselves through a counter rather than assuming which invocations form a subgroup (WebGPU
// does not promise lanes are consecutive local indices).
enable subgroups;
diagnostic(off, subgroup_uniformity);

var<workgroup> nextSlot: atomic<u32>;

// The subgroup's lowest invocation takes a ticket. Written this way for SwiftShader, which gets
// subgroupElect() (elects nobody), a broadcast of a value set in a branch, and this reduction
// without the barrier before it wrong; all three are fine on hardware GPUs. Call it once, from
// uniform control flow, with local_invocation_index.
fn claimSubgroupSlot(li: u32) -> u32 {
  let leader = li == subgroupMin(li);
  let ticket = atomicAdd(&nextSlot, select(0u, 1u, leader));
  workgroupBarrier();
  return subgroupMax(select(0u, ticket, leader));
}
