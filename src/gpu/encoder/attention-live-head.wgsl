// The head of workgroup row y: the y-th head set in p.heads (the heads whose context a later
// kernel reads: the engine's live heads, AttentionKernel.encode's liveHeads), or y where p.heads
// is 0 (every head). Shared by every f32 attention kernel (module-scope order does not matter).
fn live_head(y: u32) -> u32 {
  if (p.heads == 0u) { return y; }
  var m = p.heads;
  for (var i = 0u; i < y; i++) { m &= m - 1u; }
  return firstTrailingBit(m);
}
