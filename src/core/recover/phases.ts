// Where a reconstruction's time goes, per thread: each shard and the run add up the milliseconds
// of their phases (forward passes, their linears and attention, Gram and Xᵀ Y sums, solves, waits)
// and the result carries them (RecoverResult.phases). The clock is wall time unless a host sets
// a per-thread CPU clock (the CLI does, under HP_LAB_THREAD_CPU=1: scripts/bench/recover-bench.ts),
// which on a shared machine is the figure that compares across runs.

/** Milliseconds per phase. Nested phases are inclusive: 'forward.dense' contains the
 *  'linear.dense' and 'attention.dense' times spent inside it. */
export type PhaseTimes = Record<string, number>;

let clock: () => number = () => performance.now();

/** Sets this thread's clock for phase times (milliseconds, any origin). */
export function setPhaseClock(now: () => number): void {
  clock = now;
}

export class PhaseTimer {
  readonly ms: PhaseTimes = {};
  private readonly born = clock();

  /** The phases so far, with 'life': this thread's time since the timer was made (what no phase
   *  covers is life minus the outermost phases). */
  report(): PhaseTimes {
    return { ...this.ms, life: clock() - this.born };
  }

  time<T>(phase: string, run: () => T): T {
    const t = clock();
    try {
      return run();
    } finally {
      this.add(phase, clock() - t);
    }
  }

  /** Starts timing `phase`; the returned function stops it (for spans around an await). */
  start(phase: string): () => void {
    const t = clock();
    return () => this.add(phase, clock() - t);
  }

  add(phase: string, ms: number): void {
    this.ms[phase] = (this.ms[phase] ?? 0) + ms;
  }
}
