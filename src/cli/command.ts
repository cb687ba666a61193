/**
 * The shape of one CLI command. Each command lives in `src/cli/commands/<name>.ts` and is listed
 * in `src/cli/commands/index.ts`; `main` dispatches to it.
 */
import type { FlagSpec, ParsedArgs } from './args.js';

/** Streams a command writes to (injectable for tests). */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** One `weft` command. */
export interface Command {
  readonly name: string;
  /** One line for `weft --help`. */
  readonly summary: string;
  /** Usage line, e.g. `weft analyze [PATH ...] [flags]`. */
  readonly usage: string;
  /** Longer description and examples for `weft <cmd> --help`. */
  readonly description?: string;
  readonly flags: readonly FlagSpec[];
  /** Runs the command; resolves to the exit code. Throws CliError for user-facing failures. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
