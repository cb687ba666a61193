/**
 * The CLI's errors: the shared user-facing errors of `util/user-error.ts`, which `up/` and `explain/`
 * (below the CLI) throw too. `CliError` is the CLI's name for `UserError`, the same class, so every
 * command's `throw new CliError(…)` and `main`'s `instanceof CliError` see one kind of error.
 */
export { UserError as CliError, ExitCode, usageError } from '../util/user-error.js';
