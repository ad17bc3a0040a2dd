// Types for build-cli.mjs (imported by tests that run the bundled CLI).
export function buildCli(outfile: string, options?: { external?: string[]; minify?: boolean }): Promise<void>;
