// A panel's model run that follows its inputs: each change schedules a request after a short
// pause (debounced: dragging a slider asks once), and only the latest request's answer or
// error is shown; a newer one (or drop()) makes any answer still in flight stale.

export interface RequestHandlers<T> {
  busy(busy: boolean): void;
  value(value: T): void;
  /** The latest request's error; '' when it answered. */
  error(message: string): void;
}

export class LatestRequest {
  private id = 0;

  /** Makes every answer in flight stale. */
  drop(): void {
    this.id++;
  }

  /** Runs `request` after `delayMs` unless cancelled (the returned function: an $effect's
   *  cleanup) or superseded; `on` hears only the latest request. */
  schedule<T>(request: () => Promise<T>, on: RequestHandlers<T>, delayMs = 200): () => void {
    const id = ++this.id;
    const timer = setTimeout(async () => {
      on.busy(true);
      try {
        const value = await request();
        if (id === this.id) {
          on.value(value);
          on.error('');
        }
      } catch (e) {
        if (id === this.id) on.error((e as Error).message);
      } finally {
        if (id === this.id) on.busy(false);
      }
    }, delayMs);
    return () => clearTimeout(timer);
  }
}
