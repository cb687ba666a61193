/**
 * Keeps one process running the way a kubelet keeps a container running: start, watch, restart
 * with exponential back-off after a crash (10 s → 5 min cap in Kubernetes; shorter here, from
 * 500 ms to 30 s, reset after 10 s of healthy running), stop gracefully (SIGTERM, then SIGKILL).
 */
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { launch, signalGroup, type LaunchSpec } from './process-launcher.js';

/** Lifecycle states shown in `weft up`'s status and `weft proxy-status`. */
export type ProcessState = 'pending' | 'starting' | 'running' | 'backoff' | 'stopped' | 'failed';

/** Events of a supervised process. */
export interface SupervisorEvents {
  state: [state: ProcessState];
  /** One line of the process's output (stdout or stderr). */
  line: [line: string, stream: 'stdout' | 'stderr'];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

/** Options of a supervisor. */
export interface SupervisorOptions {
  readonly spec: LaunchSpec;
  /**
   * Runs before every start and may add environment (e.g. a fresh single-use bootstrap token for a
   * proxy's first certificate); a failure counts as a failed start.
   */
  readonly prepare?: () => Promise<NodeJS.ProcessEnv>;
  /** Restart after exit (default true). */
  readonly restart?: boolean;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** One supervised process. */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  state: ProcessState = 'pending';
  restarts = 0;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null };
  private child?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private backoffMs: number;
  private startedAt = 0;
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.backoffMs = options.minBackoffMs ?? 500;
  }

  /** The current child's pid, if running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (and keeps it running). */
  start(): void {
    if (this.stopping || this.child) return;
    this.setState('starting');
    this.startedAt = Date.now();
    if (!this.options.prepare) return this.launchWith({});
    this.options.prepare().then(
      (env) => {
        if (!this.stopping) this.launchWith(env);
      },
      (err: Error) => {
        this.emit('line', `failed to prepare: ${err.message}`, 'stderr');
        if (!this.stopping) this.scheduleRestart();
      },
    );
  }

  private launchWith(extraEnv: NodeJS.ProcessEnv): void {
    let child: ChildProcess;
    try {
      const spec = this.options.spec;
      child = launch({ ...spec, env: { ...spec.env, ...extraEnv } });
    } catch (err) {
      this.emit('line', `failed to start: ${(err as Error).message}`, 'stderr');
      this.scheduleRestart();
      return;
    }
    this.child = child;
    child.on('error', (err) => {
      this.emit('line', `failed to start ${this.options.spec.command}: ${err.message}`, 'stderr');
    });
    pipeLines(child, (line, stream) => this.emit('line', line, stream));
    child.on('spawn', () => {
      if (this.state === 'starting') this.setState('running');
    });
    child.on('exit', (code, signal) => {
      this.child = undefined;
      this.lastExit = { code, signal };
      this.emit('exit', code, signal);
      if (this.stopping) {
        this.setState('stopped');
        return;
      }
      if (Date.now() - this.startedAt > 10_000) this.backoffMs = this.options.minBackoffMs ?? 500;
      this.scheduleRestart();
    });
  }

  /** Stops for good: SIGTERM to the process group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child) {
      this.setState('stopped');
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(kill);
    // Anything the app left behind in its group goes too.
    signalGroup(child, 'SIGKILL');
  }

  private scheduleRestart(): void {
    if (this.options.restart === false) {
      this.setState('failed');
      return;
    }
    this.setState('backoff');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restarts++;
      this.start();
    }, delay);
  }

  private setState(s: ProcessState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }
}

function pipeLines(child: ChildProcess, onLine: (line: string, stream: 'stdout' | 'stderr') => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    let buf = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl), stream);
        buf = buf.slice(nl + 1);
      }
      if (buf.length > 64 * 1024) {
        onLine(buf, stream);
        buf = '';
      }
    });
    child[stream]?.on('end', () => {
      if (buf) onLine(buf, stream);
      buf = '';
    });
  }
}
