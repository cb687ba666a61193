/**
 * Entry point of the `weft` executable: dispatches to a command, prints help, and is the one
 * place that turns errors into a stderr line and an exit code.
 */
import { formatFlags, parseArgs } from './args.js';
import type { CliIO, Command } from './command.js';
import { CliError, ExitCode } from './errors.js';
import { COMMANDS } from './commands/index.js';

const VERSION = '0.1.0';

/** Runs `weft` with the given arguments; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target) return help(target, io);
    io.stdout.write(globalHelp());
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`weft ${VERSION}\n`);
    return ExitCode.Ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`weft: USAGE: unknown command "${name}"\nRun 'weft --help' for the list of commands.\n`);
    return ExitCode.Usage;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(cmd));
    return ExitCode.Ok;
  }
  try {
    const args = parseArgs(rest, cmd.flags);
    return await cmd.run(args, io);
  } catch (err) {
    return reportError(err, io, cmd);
  }
}

async function help(target: string, io: CliIO): Promise<number> {
  const entry = COMMANDS.find((c) => c.name === target);
  if (!entry) {
    io.stderr.write(`weft: USAGE: unknown command "${target}"\n`);
    return ExitCode.Usage;
  }
  io.stdout.write(commandHelp(await entry.load()));
  return ExitCode.Ok;
}

function reportError(err: unknown, io: CliIO, cmd: Command): number {
  if (err instanceof CliError) {
    io.stderr.write(`weft: ${err.code}: ${err.message}\n`);
    if (err.details) io.stderr.write(`${err.details.replace(/\n?$/, '\n')}`);
    if (err.code === 'USAGE') io.stderr.write(`Usage: ${cmd.usage}\nRun 'weft ${cmd.name} --help' for details.\n`);
    return err.exitCode;
  }
  const e = err as Error & { code?: string };
  io.stderr.write(`weft: ${e.code ?? 'INTERNAL'}: ${e.message ?? String(err)}\n`);
  if (process.env.WEFT_DEBUG) io.stderr.write(`${e.stack}\n`);
  return ExitCode.Failure;
}

/** The text of `weft --help`. */
export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'weft: a service mesh that reads Istio configuration, on one machine or many.',
    '',
    'Usage: weft <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'weft <command> --help' for a command's flags.",
    '',
  ].join('\n');
}

/** The text of `weft <command> --help`. */
export function commandHelp(cmd: Command): string {
  return [
    cmd.summary,
    '',
    `Usage: ${cmd.usage}`,
    ...(cmd.description ? ['', cmd.description.trimEnd()] : []),
    ...(cmd.flags.length ? ['', 'Flags:', formatFlags(cmd.flags)] : []),
    '',
  ].join('\n');
}

function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
