/**
 * External tools the proxy benchmark drives: wrk and nginx from Debian's packages, installed with
 * apt-get when missing (once: `apt-get update`, then `apt-get install -y wrk nginx`), and `taskset`
 * (util-linux) to pin load generator and proxy to different cores.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Whether `name` is on PATH (`command -v`). */
export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What {@link ensureTools} did. */
export interface ToolsReport {
  /** Packages installed by this run (empty when all were present). */
  readonly installed: string[];
  readonly wrkVersion: string;
  readonly nginxVersion: string;
}

/** Installs the missing ones of wrk and nginx with apt-get (the machine is root); throws when that fails. */
export function ensureTools(log: (line: string) => void): ToolsReport {
  const missing = ['wrk', 'nginx'].filter((t) => !hasCommand(t));
  if (missing.length > 0) {
    log(`bench: installing ${missing.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
    execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'ignore', env, timeout: 600_000 });
    for (const t of missing) if (!hasCommand(t)) throw new Error(`${t} is still missing after apt-get install`);
  }
  const firstLine = (script: string) => {
    try {
      return execFileSync('sh', ['-c', `${script} 2>&1 | head -n 1`], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    installed: missing,
    wrkVersion: firstLine('wrk -v').replace(/\s+Copyright.*$/, ''),
    nginxVersion: firstLine('nginx -v').replace(/^nginx version:\s*/, ''),
  };
}

/** Core assignment: load generators and the upstream on one core, the proxy under test on another. */
export interface CorePlan {
  readonly pinned: boolean;
  /** wrk, the rate client and the upstream nginx. */
  readonly load: string | undefined;
  /** The proxy under test (nginx reverse proxy, Weft sidecar, gateway). */
  readonly proxy: string | undefined;
  /** One line for BENCHMARKS.md. */
  readonly describe: string;
}

/** Pins to cores 0 and 1 when taskset exists and there are at least 2 CPUs. */
export function corePlan(): CorePlan {
  const cpus = os.cpus().length;
  if (cpus >= 2 && hasCommand('taskset')) {
    return { pinned: true, load: '0', proxy: '1', describe: 'wrk, the rate client and the upstream nginx pinned to core 0; the proxy under test to core 1 (taskset)' };
  }
  return { pinned: false, load: undefined, proxy: undefined, describe: `no pinning (${cpus} CPU, taskset ${hasCommand('taskset') ? 'present' : 'missing'})` };
}

/** The machine line of every section. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}
