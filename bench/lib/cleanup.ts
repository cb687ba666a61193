/**
 * Temp directories of a benchmark run, removed at the end — and, with the children, when the run
 * is interrupted (SIGINT/SIGTERM): {@link installInterruptCleanup} kills every child process tree
 * by PID and removes the directories before exiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllChildrenSync } from './processes.js';

const DIRS = new Set<string>();

/** Creates `/tmp/weft-bench-<name>-XXXXXX`, registered for removal. */
export function tempDir(name: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `weft-bench-${name}-`));
  DIRS.add(d);
  return d;
}

/** Removes a directory made by {@link tempDir}. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  DIRS.delete(dir);
}

/** Kills children and removes temp dirs on SIGINT/SIGTERM, then exits (130/143). */
export function installInterruptCleanup(): void {
  const handler = (signal: NodeJS.Signals) => {
    process.stderr.write(`bench: ${signal}: stopping child processes and removing temp dirs\n`);
    killAllChildrenSync();
    for (const d of DIRS) rmSync(d, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
