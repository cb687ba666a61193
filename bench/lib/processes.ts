/**
 * Child processes of a benchmark: spawned (optionally pinned to CPU cores with `taskset`), tracked
 * by PID, and stopped by PID at the end — SIGTERM first, SIGKILL after a grace period — whether the
 * benchmark finished or failed. Where util-linux's `setpriv` exists, children get a parent-death
 * signal (SIGKILL), so they do not outlive a benchmark that is itself killed; and
 * {@link killAllChildrenSync} (for signal handlers) kills every live child's process tree.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree } from './proc-stats.js';

/** Every live child of every group, for {@link killAllChildrenSync}. */
const LIVE = new Set<Child>();

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivAvailable === undefined) {
    try {
      execFileSync('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'true'], { stdio: 'ignore' });
      setprivAvailable = true;
    } catch {
      setprivAvailable = false;
    }
  }
  return setprivAvailable;
}

/** SIGKILLs the process tree of every live child (signal handlers: no awaiting there). */
export function killAllChildrenSync(): void {
  for (const c of LIVE) {
    let pids: number[] = [c.pid];
    try {
      pids = processTree(c.pid);
    } catch {
      // /proc unreadable: the child alone
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  LIVE.clear();
}

/** Options of {@link ProcessGroup.start}. */
export interface StartOptions {
  /** Cores to pin the process to (`taskset -c`); ignored when pinning is unavailable. */
  readonly cores?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Label in error messages. */
  readonly name?: string;
}

/** A started child: its PID and output so far. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** stdout and stderr so far (capped). */
  output(): string;
  /** stdout alone so far (capped). */
  stdout(): string;
  /** Resolves with the first stdout line that satisfies `match`, rejects on exit or timeout. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Resolves once the process exited. */
  readonly exited: Promise<number | null>;
}

/** Whether `taskset` can pin processes here (util-linux installed, more than one CPU). */
export type Pinning = { readonly available: boolean };

/** Tracks every process a benchmark starts, so all of them can be stopped by PID. */
export class ProcessGroup {
  private readonly children = new Set<Child>();

  constructor(private readonly pinning: Pinning) {}

  /** Spawns `command args…`, pinned to `options.cores` when pinning is available. */
  start(command: string, args: readonly string[], options: StartOptions = {}): Child {
    const pinned = this.pinning.available && options.cores !== undefined;
    // setpriv and taskset both exec their command, so the PID is the command's own.
    let argv = pinned ? ['taskset', '-c', options.cores!, command, ...args] : [command, ...args];
    if (hasSetpriv()) argv = ['setpriv', '--pdeathsig', 'SIGKILL', '--', ...argv];
    const proc = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`cannot start ${command}`);
    let out = '';
    let stdout = '';
    let pending = '';
    const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      if (out.length < 1_000_000) out += d;
      if (stdout.length < 1_000_000) stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        for (const w of [...waiters]) {
          if (w.match(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    proc.stderr!.on('data', (d: string) => {
      if (out.length < 1_000_000) out += d;
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const name = options.name ?? command;
    const child: Child = {
      name,
      pid: proc.pid,
      proc,
      output: () => out,
      stdout: () => stdout,
      exited,
      waitForLine: (match, timeoutMs) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name}: no expected output within ${timeoutMs} ms\n${out.slice(-2000)}`)), timeoutMs);
          void exited.then((code) => {
            clearTimeout(timer);
            reject(new Error(`${name} exited (${code}) before it was ready\n${out.slice(-2000)}`));
          });
          waiters.push({
            match,
            resolve: (l) => {
              clearTimeout(timer);
              resolve(l);
            },
          });
        }),
    };
    void exited.then(() => {
      this.children.delete(child);
      LIVE.delete(child);
    });
    this.children.add(child);
    LIVE.add(child);
    return child;
  }

  /** Stops one child by PID: `signal`, then SIGKILL after `graceMs`. */
  async stop(child: Child, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.children.has(child)) return;
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
    const outcome = await Promise.race([child.exited.then(() => 'exited'), sleep(graceMs).then(() => 'timeout')]);
    if (outcome === 'timeout') {
      // The whole tree: an nginx master's workers do not die with it.
      let pids = [child.pid];
      try {
        pids = processTree(child.pid);
      } catch {
        // /proc unreadable: the child alone
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await Promise.race([child.exited, sleep(2000)]);
    }
    this.children.delete(child);
    LIVE.delete(child);
  }

  /** Stops every child still running (in reverse start order). */
  async stopAll(graceMs = 5000): Promise<void> {
    for (const c of [...this.children].reverse()) await this.stop(c, graceMs);
  }
}

/** Runs a command to completion and returns its stdout (rejects on a non-zero exit or timeout). */
export function runToCompletion(command: string, args: readonly string[], timeoutMs: number, group?: ProcessGroup, cores?: string): Promise<string> {
  const g = group ?? new ProcessGroup({ available: false });
  const child = g.start(command, args, { cores, name: command });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void g.stop(child, 1000, 'SIGKILL');
      reject(new Error(`${command} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    void child.exited.then((code) => {
      clearTimeout(timer);
      if (code === 0) resolve(child.stdout());
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${child.output().slice(-2000)}`));
    });
  });
}
