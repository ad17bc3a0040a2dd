// Progress with an ETA on stderr for long CLI commands (stdout stays pure JSON).
export function stderrProgress(what: string): (done: number, total: number) => void {
  const t0 = performance.now();
  return (done, total) => {
    const elapsed = (performance.now() - t0) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
    const tail =
      done >= total ? `done in ${elapsed.toFixed(0)} s\n` : `ETA ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s`;
    process.stderr.write(`\r${what}: ${done}/${total}, ${tail}`);
  };
}
