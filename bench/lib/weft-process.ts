/**
 * Helpers (for the benchmarks and the tests) that run the real `weft` executable as a child process: one-shot commands, and
 * long-running ones (control, up) whose readiness is read from their output. Every process a test
 * starts is stopped by PID when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/lib/ or, in tests, build/bench/lib/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The `weft` executable. */
export const WEFT_BIN = path.join(REPO_ROOT, 'bin', 'weft.js');

/** Output of a finished command. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `weft ARGS…` to completion (with an upper time limit) and returns its exit code and output. */
export function runWeft(args: readonly string[], options: { input?: string; cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEFT_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weft ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its stdin (curl) makes the write fail with EPIPE; the exit code
    // and output still tell the result, so the stdin error is not an error of the test.
    child.stdin?.on('error', ignoreStdinError);
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `weft` process. */
export interface WeftProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGTERM and waits for exit (SIGKILL after a grace period). */
  stop(): Promise<number | null>;
}

/** Starts `weft ARGS…` in the background. */
export function startWeft(args: readonly string[], options: { cwd?: string } = {}): WeftProcess {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, timeoutMs);
        waiters.add(check);
        check();
        void exited.then((code) => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited (${code}) before ${pattern}; output:\n${out}`));
          }
        });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/**
 * The `Authorization` header for the config API of the `weft up`/`weft control` whose state
 * directory is `stateDir` (it writes its bearer token to STATE/api-token at start).
 */
export function apiAuthHeaders(stateDir: string): Record<string, string> {
  return { authorization: `Bearer ${readFileSync(path.join(stateDir, 'api-token'), 'utf8').trim()}` };
}

/** Swallows EPIPE/ECONNRESET on a child's stdin (it exited before reading); rethrows anything else. */
function ignoreStdinError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
}
