/**
 * The user `weft up` runs apps as (`--app-user`). Where `weft up` runs as root, apps run as a
 * separate unprivileged user (default `nobody`), so an app can read neither the state directory
 * (CA key, bootstrap-token key, applied Secrets, logs: 0600/0700, src/control/state-dir.ts) nor
 * its sidecar's environment (bootstrap token, outbound credential) — the role Kubernetes'
 * `runAsUser` and Istio's separate proxy UID (1337) play in a cluster. Without root, apps run as
 * the current user (changing user needs root). The switch is made by `setpriv --reuid --regid
 * --clear-groups` (util-linux), which `weft up` already uses for `--pdeathsig`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/user-error.js';

/** A resolved app user. */
export interface AppUser {
  /** Name as given (or the numeric id). */
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** True when apps run as another user than `weft up` (setpriv switches to it). */
  readonly switched: boolean;
  /** True when the user was chosen by default (root → nobody), not by `--app-user`. */
  readonly byDefault: boolean;
}

function currentIds(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const r = spawnSync('id', [flag, user], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.status === 0 && Number.isInteger(n) ? n : undefined;
}

/**
 * Resolves `--app-user` (a name or a numeric uid; default `nobody` when root, else the current
 * user). Throws APP_USER_UNKNOWN for an unknown user, APP_USER_NEEDS_ROOT when another user is
 * asked without root, APP_USER_NO_SETPRIV when setpriv is missing.
 */
export function resolveAppUser(requested: string | undefined): AppUser {
  const me = currentIds();
  const root = me.uid === 0;
  if (requested === undefined && !root) {
    return { name: os.userInfo().username, uid: me.uid, gid: me.gid, switched: false, byDefault: true };
  }
  const name = requested ?? 'nobody';
  const numeric = /^\d+$/.test(name) ? Number(name) : undefined;
  const uid = numeric ?? idOf('-u', name);
  if (uid === undefined) {
    throw new UserError('APP_USER_UNKNOWN', `--app-user: no such user "${name}"`, { details: 'Name an existing user (getent passwd) or a numeric uid.' });
  }
  // A bare uid without a passwd entry gets the group of the same number, as setpriv would need one.
  const gid = idOf('-g', name) ?? (numeric !== undefined ? numeric : me.gid);
  if (uid === me.uid) return { name, uid, gid: me.gid, switched: false, byDefault: requested === undefined };
  if (!root) {
    throw new UserError('APP_USER_NEEDS_ROOT', `--app-user ${name}: running apps as another user needs root (weft up runs as uid ${me.uid})`, {
      details: 'Drop --app-user to run apps as yourself, or run weft up as root.',
    });
  }
  const probe = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    throw new UserError('APP_USER_NO_SETPRIV', `--app-user ${name}: setpriv (util-linux) cannot switch to uid ${uid}`, {
      details: 'Install util-linux\'s setpriv, or pass --app-user root to run apps as root (they can then read the CA key).',
    });
  }
  return { name, uid, gid, switched: true, byDefault: requested === undefined };
}

/** The setpriv arguments that make a process run as `user` (empty when no switch is needed). */
export function switchUserArgs(user: AppUser | undefined): string[] {
  if (!user?.switched) return [];
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
}

const accessCache = new Map<string, string | undefined>();

/**
 * Why `user` cannot start `command` in `dir` (undefined when it can): the kernel checks, as that
 * user, that the directory is enterable and listable and that the command is found on `PATH` and
 * executable (modes, ACLs and every parent directory count, e.g. a checkout under /root 0700).
 */
export function appCannotRun(user: AppUser, dir: string, command: string, pathEnv: string | undefined): string | undefined {
  if (!user.switched) return undefined;
  const key = JSON.stringify([user.uid, user.gid, dir, command, pathEnv]);
  if (accessCache.has(key)) return accessCache.get(key);
  const script = 'test -r "$1" -a -x "$1" || exit 3; cd "$1" || exit 3; command -v "$2" >/dev/null || exit 4; c=$(command -v "$2"); case "$c" in */*) test -x "$c" || exit 4;; esac';
  const r = spawnSync('setpriv', [...switchUserArgs(user), '--', '/bin/sh', '-c', script, 'sh', dir, command], { stdio: 'ignore', env: { PATH: pathEnv ?? '/usr/bin:/bin' } });
  let why: string | undefined;
  if (r.status === 3 || (r.status !== 0 && r.status !== 4)) {
    const blocked = firstBlockedDir(user, dir);
    why = `app user ${user.name} cannot read ${dir} (${blocked} is not readable and enterable by it)`;
  } else if (r.status === 4) {
    why = `app user ${user.name} cannot find or execute "${command}" (PATH=${pathEnv ?? ''}; a directory on the way may be private to ${os.userInfo().username})`;
  }
  accessCache.set(key, why);
  return why;
}

/** The first directory from `/` down to `dir` that `user` cannot enter (for the error message). */
export function firstBlockedDir(user: AppUser, dir: string): string {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  let cur: string = path.sep;
  for (const p of parts) {
    cur = path.join(cur, p);
    const r = spawnSync('setpriv', [...switchUserArgs(user), '--', 'test', '-r', cur, '-a', '-x', cur], { stdio: 'ignore' });
    if (r.status !== 0) return cur;
  }
  return dir;
}

/**
 * Per-pod private directories for HOME and TMPDIR when apps run as another user: a root-owned
 * base under the system temp dir (0711: enterable, not listable) holding one 0700 directory per
 * pod owned by the app user. Removed when the mesh stops.
 */
export class AppHomes {
  private base: string | undefined;

  constructor(private readonly user: AppUser) {}

  /** The pod's private directory (created on first use). */
  dirFor(namespace: string, pod: string): string {
    this.base ??= this.createBase();
    const dir = path.join(this.base, `${namespace}.${pod}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, this.user.uid, this.user.gid);
    chmodSync(dir, 0o700);
    return dir;
  }

  /** Removes every pod's directory. */
  remove(): void {
    if (this.base) rmSync(this.base, { recursive: true, force: true });
    this.base = undefined;
  }

  private createBase(): string {
    const base = mkdtempSync(path.join(os.tmpdir(), 'weft-apps-'));
    chmodSync(base, 0o711);
    return base;
  }
}
