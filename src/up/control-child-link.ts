/**
 * The control plane of `weft up` in a supervised child process (control-child.ts), reached over
 * Node's IPC channel. When it dies (a crash, `kill -9`) `weft up` keeps its pods and gateway: the
 * proxies keep serving their last config and reconnect with back-off (xds/ads-client.ts); the link
 * restarts the child with back-off (200 ms doubling to 5 s, reset after 10 s up, as a kubelet
 * restarts a container) on the same ports and state directory, and hands it every pod's address
 * and health before it starts serving, so the first push after the restart has the endpoints the
 * proxies already hold. Requests made while it is down reject with CONTROL_PLANE_DOWN.
 */
import { EventEmitter } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Resource } from '../config/resource.js';
import type { Diagnostic } from '../config/diagnostic.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';
import {
  ControlLinkError, ControlLinkErrorCode, type ControlCaInfo, type ControlLink, type ControlLinkEvents, type ControlPorts,
  type LinkedControlPlaneOptions, type PodSource,
} from './control-link.js';
import { fromWire, type ChildMessage, type ParentMessage } from './control-messages.js';

const CHILD_ENTRY = fileURLToPath(new URL('./control-child.js', import.meta.url));
const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;
/** Up this long, a later crash restarts from the shortest back-off again. */
const STABLE_MS = 10_000;

interface Pending {
  resolve(value: string | ProxySyncStatus[]): void;
  reject(err: Error): void;
}

/** A control plane in a child process, restarted when it dies. */
export class ChildControlLink extends EventEmitter<ControlLinkEvents> implements ControlLink {
  private child: ChildProcess | undefined;
  private serving = false;
  private stopping = false;
  private cached: readonly Resource[] = [];
  private diags: readonly Diagnostic[] = [];
  private warnings: readonly string[] = [];
  private caInfo: ControlCaInfo | undefined;
  private ports: ControlPorts | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private backoffMs = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | undefined;
  private downSince = 0;
  private startedAt = 0;

  constructor(
    private readonly options: LinkedControlPlaneOptions,
    private readonly source: PodSource,
  ) {
    super();
  }

  /** First start: resolves with the bound ports, rejects when the child cannot start. */
  start(): Promise<ControlPorts> {
    return this.launch(this.options).then((ports) => (this.ports = ports));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.post({ t: 'stop' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }

  get running(): boolean {
    return this.serving;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  resources(): readonly Resource[] {
    return this.cached;
  }

  diagnostics(): readonly Diagnostic[] {
    return this.diags;
  }

  stateWarnings(): readonly string[] {
    return this.warnings;
  }

  refresh(): void {
    if (this.serving) this.post({ t: 'pods', pods: this.source.pods(), refresh: true });
  }

  podsChanged(): void {
    // The child rebuilds only when the table differs from the one it has.
    if (this.serving) this.post({ t: 'pods', pods: this.source.pods(), refresh: false });
  }

  syncStatus(): Promise<ProxySyncStatus[]> {
    return this.request({ t: 'syncStatus', id: this.nextId++ }) as Promise<ProxySyncStatus[]>;
  }

  mintToken(namespace: string, serviceAccount: string): Promise<string> {
    // The pod's address first, so the proxy that presents this token is a known pod.
    if (this.serving) this.post({ t: 'pods', pods: this.source.pods(), refresh: false });
    return this.request({ t: 'mintToken', id: this.nextId++, namespace, serviceAccount }) as Promise<string>;
  }

  get ca(): ControlCaInfo | undefined {
    return this.caInfo;
  }

  private request(m: ParentMessage & { id: number }): Promise<string | ProxySyncStatus[]> {
    if (!this.serving) return Promise.reject(new ControlLinkError(ControlLinkErrorCode.Down, 'the control plane is down (restarting)'));
    return new Promise((resolve, reject) => {
      this.pending.set(m.id, { resolve, reject });
      this.post(m);
    });
  }

  private post(m: ParentMessage): void {
    const child = this.child;
    if (!child?.connected) return;
    try {
      child.send(m, (err) => {
        if (err && 'id' in m) this.settle(m.id, err);
      });
    } catch {
      // the channel closed; the exit handler restarts the child
    }
  }

  private settle(id: number, result: Error | { ok: true; value: string | ProxySyncStatus[] }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result.value);
  }

  /** Forks the child and resolves once it serves (with `options`; restarts pin the first start's ports). */
  private launch(options: LinkedControlPlaneOptions): Promise<ControlPorts> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const child = fork(CHILD_ENTRY, [], {
        serialization: 'advanced',
        // Its own process group: Ctrl-C reaches `weft up`, which stops the control plane last.
        detached: true,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.child = child;
      this.startedAt = Date.now();
      child.on('message', (m: ChildMessage) => {
        switch (m.t) {
          case 'hello':
            this.post({ t: 'init', options, pods: this.source.pods() });
            return;
          case 'started':
            this.caInfo = m.ca;
            this.warnings = m.stateWarnings;
            this.serving = true;
            settled = true;
            resolve(m.ports);
            return;
          case 'startFailed':
            settled = true;
            reject(new ControlLinkError(ControlLinkErrorCode.StartFailed, m.message, { errno: m.errno }));
            return;
          case 'resources':
            this.cached = m.resources.map(fromWire);
            this.diags = m.diagnostics;
            this.emit('change');
            return;
          case 'notice':
            this.emit('notice', m.line);
            return;
          case 'reply':
            this.settle(m.id, m.ok ? m : new ControlLinkError(ControlLinkErrorCode.Down, m.message));
        }
      });
      child.on('error', () => undefined);
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        const wasServing = this.serving;
        this.serving = false;
        for (const id of [...this.pending.keys()]) this.settle(id, new ControlLinkError(ControlLinkErrorCode.Down, 'the control plane exited'));
        if (!settled) {
          settled = true;
          reject(new ControlLinkError(ControlLinkErrorCode.StartFailed, `the control plane exited (${signal ?? `code ${code}`}) before it served`));
        }
        if (this.stopping || !this.ports) return;
        if (wasServing) {
          this.downSince = Date.now();
          if (Date.now() - this.startedAt > STABLE_MS) this.backoffMs = MIN_BACKOFF_MS;
        }
        const delay = this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
        this.emit('down', code, signal, delay);
        this.timer = setTimeout(() => this.restart(), delay);
      });
    });
  }

  private restart(): void {
    if (this.stopping || !this.ports) return;
    const p = this.ports;
    // The same ports as the first start (which may have been 0 = any): proxies redial the same address.
    const options: LinkedControlPlaneOptions = {
      ...this.options,
      httpPort: p.httpPort,
      ...(p.insecureXdsPort !== undefined ? { insecureXdsPort: p.insecureXdsPort } : {}),
      ...(this.options.ca && p.xdsPort !== undefined ? { ca: { ...this.options.ca, port: p.xdsPort } } : {}),
    };
    this.launch(options).then(
      () => {
        if (this.stopping) return;
        this.emit('up', Date.now() - this.downSince, this.child?.pid);
      },
      () => undefined, // its exit handler schedules the next try
    );
  }
}
