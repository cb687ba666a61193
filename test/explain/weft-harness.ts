/**
 * Runs `weft ARGS…` like `bin/weft.js`, with `explain` available even before it is listed in
 * `src/cli/commands/index.ts`: `main` handles every command it knows; `explain`, when main does not
 * know it yet, is run here with main's conventions (flags parsed against the command's specs,
 * CliError → `weft: CODE: message` on stderr and its exit code). Only acts when
 * WEFT_EXPLAIN_HARNESS=1, so the test runner, which loads every file under test/, gets a no-op.
 */
import { parseArgs } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { CliError, ExitCode } from '../../src/cli/errors.js';
import { main } from '../../src/cli/main.js';
import { explainCommand } from '../../src/cli/commands/explain.js';

/** Runs one command line; resolves to the exit code. */
export async function runHarness(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'explain' || COMMANDS.some((c) => c.name === 'explain')) return main(argv);
  try {
    return await explainCommand.run(parseArgs(argv.slice(1), explainCommand.flags), {
      stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(),
    });
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`weft: ${err.code}: ${err.message}\n${err.details ? `${err.details}\n` : ''}`);
    return err.exitCode;
  }
}

if (process.env.WEFT_EXPLAIN_HARNESS === '1') {
  runHarness(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: Error) => { process.stderr.write(`weft: internal error: ${err.stack ?? String(err)}\n`); process.exitCode = ExitCode.Failure; },
  );
}
