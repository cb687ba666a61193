/**
 * Errors meant for the person at the terminal: a stable code, an exit code, an optional cause and
 * details, and no stack trace. The `weft` command (`cli/main.ts`, where the CLI calls the class
 * `CliError`) is the one place that prints them as `weft: <code>: <message>`; they live here, below
 * the CLI, because `weft up` (`up/`) and `weft explain` (`explain/`) throw them too.
 */
import { WeftError } from './weft-error.js';

/** Exit codes (design.md §7). */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, AnalyzeErrors: 79 } as const;

/** An error meant for the user: printed as `weft: <code>: <message>` with details, no stack trace. */
export class UserError extends WeftError {
  /** Stable code, e.g. `USAGE`, `LOAD_FAILED`, `SERVER_UNREACHABLE`. */
  readonly code: string;
  readonly exitCode: number;
  readonly details?: string;
  constructor(code: string, message: string, options: { exitCode?: number; details?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.Failure;
    this.details = options.details;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string, details?: string): UserError {
  return new UserError('USAGE', message, { exitCode: ExitCode.Usage, details });
}
