// Work the page's first number should not share two cores with waits for it: the device-model
// searches (Choose, the paper view: ~2 s of CPU in the hardware worker) and the worker GPU probe.
// Released when the dense quick estimate is shown, when loading the model or the data fails, or
// after RELEASE_AFTER_MS whatever happens.

export const RELEASE_AFTER_MS = 15_000;

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
