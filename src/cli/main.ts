// hp-lab: the headless CLI. Same core/ and gpu/ code as the app; JSON on stdout, errors on
// stderr with a non-zero exit. Each command is one module in ./commands exporting `run`.
import './relaxed-simd';
import { describeCliError } from './cli-error';
import { serveRecoveryShard } from './recover-threads';

type CommandModule = { run(argv: string[]): Promise<unknown>; usage: string };

const commands: Record<string, () => Promise<CommandModule>> = {
  'gpu-info': () => import('./commands/gpu-info'),
  encoder: () => import('./commands/encoder'),
  bench: () => import('./commands/bench'),
  eval: () => import('./commands/eval'),
  prune: () => import('./commands/prune'),
  hpw: () => import('./commands/hpw'),
  sweep: () => import('./commands/sweep'),
  select: () => import('./commands/select'),
  calibrate: () => import('./commands/calibrate'),
  finetune: () => import('./commands/finetune'),
};

function usage(): string {
  return (
    `usage: hp-lab <command> [options]\ncommands: ${Object.keys(commands).sort().join(', ')}\n` +
    `run 'hp-lab <command> --help' for a command's options; --debug prints stack traces`
  );
}

export async function main(argv: string[]): Promise<number> {
  // --debug anywhere: stack traces for every error (and nothing else changes).
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv.filter((a) => a !== '--debug');
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`hp-lab: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  try {
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.usage + '\n');
      return 0;
    }
    const result = await command.run(rest);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  } catch (err) {
    const { text, exitCode } = describeCliError(err, debug);
    process.stderr.write(`hp-lab ${name}: ${text}\n`);
    return exitCode;
  }
}

// Dawn keeps the event loop alive: exit explicitly once the command is done. A reconstruction
// thread (the bundle started again as a worker) serves its shard instead.
if (!serveRecoveryShard()) main(process.argv.slice(2)).then((code) => process.exit(code));
