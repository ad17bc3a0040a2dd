// Time left for a task from how long its done fraction took so far (linear extrapolation):
// shown after a second of progress, so the first, noisy estimates are not.

export function etaSeconds(elapsedMs: number, fraction: number): number | null {
  if (!(fraction > 0 && fraction < 1) || elapsedMs < 1000) return null;
  return (elapsedMs * (1 - fraction)) / fraction / 1000;
}

export function etaText(elapsedMs: number, fraction: number): string {
  const s = etaSeconds(elapsedMs, fraction);
  if (s === null) return '';
  if (s < 1) return 'under a second left';
  if (s < 90) return `about ${Math.round(s)} s left`;
  return `about ${Math.round(s / 60)} min left`;
}
