/** An error the user caused (bad flag, missing file): printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Errors the project raises for bad input (typed in core/ and gpu/): one line, exit 2. */
const INPUT_ERRORS = new Set([
  'CliError',
  'ModelLoadError',
  'FormatError',
  'HPWError',
  'SweepFormatError',
  'SelectionError',
  'GpuLimitError',
  'GpuUnavailableError',
]);

/** What the CLI prints for `err`: its message for input errors; for anything else its first line
 *  and a pointer to --debug, which prints the stack. */
export function describeCliError(err: unknown, debug: boolean): { text: string; exitCode: number } {
  const e = err as Error | undefined;
  const input = !!e && typeof e === 'object' && INPUT_ERRORS.has(e.name);
  const exitCode = err instanceof CliError ? err.exitCode : input ? 2 : 1;
  if (debug) return { text: e?.stack ?? String(err), exitCode };
  const message = String(e?.message ?? err);
  if (input) return { text: message, exitCode };
  const first = message.split('\n').find((l) => l.trim()) ?? 'unknown error';
  return { text: `${first} (an internal error; run with --debug for the stack trace)`, exitCode };
}
