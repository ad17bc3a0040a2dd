// Work the page's first number should not share two cores with waits for it: the device-model
// searches (Choose, the paper view: ~2 s of CPU in the hardware worker), the worker GPU probe and
// the first pruning. Released when the dense quick estimate is shown, when loading the model or
// the data fails, or after RELEASE_AFTER_MS whatever happens (a safety net for a hang only: at
// 15 s it fired while the first number was still coming on a loaded machine, and the work it let
// in slowed that number further).

export const RELEASE_AFTER_MS = 60_000;

let release!: () => void;
const shown = new Promise<void>((resolve) => (release = resolve));
setTimeout(() => release(), RELEASE_AFTER_MS);

/** The first number is on the screen (or will not come): deferred work may start. */
export function firstNumberSettled(): void {
  release();
}

/** Resolves once the first number is shown, or could not be, or after RELEASE_AFTER_MS. */
export function afterFirstNumber(): Promise<void> {
  return shown;
}
