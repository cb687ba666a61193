/**
 * Errors the CLI reports to users: one class, a stable code, an exit code, and an optional cause.
 * `main` is the one place that turns them into a stderr line.
 */

/** Exit codes (design.md §7). */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, AnalyzeErrors: 79 } as const;

/** An error meant for the user: printed as `weft: <code>: <message>` with details, no stack trace. */
export class CliError extends Error {
  /** Stable code, e.g. `USAGE`, `LOAD_FAILED`, `SERVER_UNREACHABLE`. */
  readonly code: string;
  readonly exitCode: number;
  readonly details?: string;
  constructor(code: string, message: string, options: { exitCode?: number; details?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.Failure;
    this.details = options.details;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string, details?: string): CliError {
  return new CliError('USAGE', message, { exitCode: ExitCode.Usage, details });
}
