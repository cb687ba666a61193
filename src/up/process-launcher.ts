/**
 * Starts the processes of `weft up` so that none outlives it: on Linux each child is started
 * through `setpriv --pdeathsig SIGKILL`, so the kernel kills it even when `weft up` itself is
 * killed with SIGKILL; every child also gets its own process group so a normal stop can signal
 * the whole group (an app's own children included). An app that runs as another user
 * (`weft up --app-user`, src/up/app-user.ts) is switched by the same setpriv
 * (`--reuid --regid --clear-groups`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** What to start. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** setpriv arguments switching to the app user (src/up/app-user.ts `switchUserArgs`); none = this user. */
  readonly switchUser?: readonly string[];
}

let setprivPath: string | null | undefined;

/** The path of `setpriv` when it supports `--pdeathsig`, else null (then children are not bound to our lifetime). */
export function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform === 'linux') {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
    if (probe.status === 0) setprivPath = 'setpriv';
  }
  return setprivPath;
}

/** Starts a child bound to this process's lifetime, in its own process group, output piped. */
export function launch(spec: LaunchSpec): ChildProcess {
  const guard = setpriv();
  const switchUser = spec.switchUser ?? [];
  // Never start as this user what was meant to run as another one.
  if (switchUser.length > 0 && !guard) throw new Error('setpriv is needed to run the app as another user');
  const [cmd, args] = guard ? [guard, [...switchUser, '--pdeathsig', 'KILL', '--', spec.command, ...spec.args]] : [spec.command, [...spec.args]];
  return spawn(cmd, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Sends a signal to the child's whole process group (falls back to the child alone). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
