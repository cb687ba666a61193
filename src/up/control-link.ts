/**
 * What `weft up` needs from its control plane, behind one narrow interface, so the control plane
 * can run in this process ({@link InProcessControlLink}) or in a supervised child process that may
 * die and come back (`ChildControlLink`, control-child-link.ts) while pods, gateway and terminal
 * stay with `weft up`. Data flows one way: the control plane hands out the merged resources (pods
 * follow Deployments) and sync state; `weft up` hands it each pod's address and health.
 *
 * Istio's analogue: istiod runs apart from the data plane; a proxy that loses istiod keeps serving
 * its last config and reconnects (Envoy's ADS `GrpcMux` retries with back-off and keeps its
 * resources; see envoy/source/extensions/config_subscription/grpc/grpc_mux_impl.cc).
 */
import { EventEmitter } from 'node:events';
import type { Resource } from '../config/resource.js';
import type { Diagnostic } from '../config/diagnostic.js';
// Types only: the in-process control plane is loaded when started, so `weft up` with a child control plane does not load it twice.
import type { ControlPlane, ControlPlaneOptions } from '../control/control-plane.js';
import type { PodIdentity } from '../registry/build-registry.js';
import type { Workload } from '../registry/types.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';
import { WeftError } from '../util/weft-error.js';

/** Stable codes of {@link ControlLinkError}. */
export const ControlLinkErrorCode = {
  /** The control plane is not running (it died and is being restarted, or it is stopping). */
  Down: 'CONTROL_PLANE_DOWN',
  /** The control plane failed to start. */
  StartFailed: 'CONTROL_PLANE_START_FAILED',
} as const;
/** One of {@link ControlLinkErrorCode}. */
export type ControlLinkErrorCode = (typeof ControlLinkErrorCode)[keyof typeof ControlLinkErrorCode];

/** A request to the control plane that cannot be answered now. */
export class ControlLinkError extends WeftError {
  readonly code: ControlLinkErrorCode;
  /** The underlying errno code (e.g. `EADDRINUSE`) when a start failed on a socket. */
  readonly errno?: string;
  constructor(code: ControlLinkErrorCode, message: string, options?: { cause?: unknown; errno?: string }) {
    super(message, { cause: options?.cause });
    this.name = 'ControlLinkError';
    this.code = code;
    this.errno = options?.errno;
  }
}

/** Ports the control plane listens on (stable across restarts of a child control plane). */
export interface ControlPorts {
  /** Authenticated xDS and CA port (undefined without a CA). */
  readonly xdsPort: number | undefined;
  /** Plaintext xDS port when enabled. */
  readonly insecureXdsPort: number | undefined;
  readonly httpPort: number;
}

/** Where proxies get their first certificate. */
export interface ControlCaInfo {
  /** CSR (and authenticated xDS) port. */
  readonly port: number;
  /** The root certificate file proxies are given; the same file across restarts (it lives in the state dir). */
  readonly rootCertFile: string | undefined;
}

/** One `weft up` pod as the control plane must see it: its address and whether it may get traffic. */
export interface PodReport {
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  readonly healthy: boolean;
}

/** What `weft up` tells the control plane about its pods. */
export interface PodSource {
  /** Address of a Deployment replica (in-process: allocated on demand). */
  readonly podAddress: (pod: PodIdentity) => string | undefined;
  /** Health of a workload (in-process). */
  readonly isHealthy: (w: Workload) => boolean;
  /** Every pod `weft up` runs, with address and health (sent to a child control plane). */
  readonly pods: () => readonly PodReport[];
}

/** Events of a control link. */
export interface ControlLinkEvents {
  /** The control plane died: its exit code or signal, and when the next start is tried. */
  down: [code: number | null, signal: NodeJS.Signals | null, restartInMs: number];
  /** The control plane is serving again after `downMs` (never emitted for the first start). */
  up: [downMs: number, pid: number | undefined];
  /** The merged resources changed. */
  change: [];
  /** A config store notice for the terminal (store-notices.ts): a bad file, a duplicate, an override, restored state. */
  notice: [line: string];
}

/** The control plane as `weft up` uses it. */
export interface ControlLink extends EventEmitter<ControlLinkEvents> {
  /** Starts the control plane; rejects with a {@link ControlLinkError} (errno set for socket errors). */
  start(): Promise<ControlPorts>;
  /** Stops it for good. */
  stop(): Promise<void>;
  /** True while the control plane is serving. */
  readonly running: boolean;
  /** Process id of the control plane (this process in-process). */
  readonly pid: number | undefined;
  /** The merged resources (the last ones the control plane reported, while it is down). */
  resources(): readonly Resource[];
  /** Diagnostics of the watched directory. */
  diagnostics(): readonly Diagnostic[];
  /** Problems found restoring applied state at the last start (a torn journal record dropped, …). */
  stateWarnings(): readonly string[];
  /** Pod health or addresses changed: rebuild endpoints and push (a no-op while down; resent on restart). */
  refresh(): void;
  /**
   * Pods may have changed (any pod event): pushes only when an address or a health answer did,
   * e.g. a sidecar that restarted and is ready again (its endpoint healthy again).
   */
  podsChanged(): void;
  /** Per-proxy sync state; rejects with CONTROL_PLANE_DOWN while the control plane is down. */
  syncStatus(): Promise<ProxySyncStatus[]>;
  /** A single-use bootstrap token for a proxy's first certificate; rejects while down (the proxy's supervisor retries). */
  mintToken(namespace: string, serviceAccount: string): Promise<string>;
  /** The CA's port and root file (undefined before start or without a CA). */
  readonly ca: ControlCaInfo | undefined;
}

/** Options of the control plane behind a link: ControlPlane's, minus the pod callbacks the link supplies. */
export type LinkedControlPlaneOptions = Omit<ControlPlaneOptions, 'podAddress' | 'isHealthy'>;

/** The control plane in this process (Weft's behaviour before issue 11: its death is `weft up`'s). */
export class InProcessControlLink extends EventEmitter<ControlLinkEvents> implements ControlLink {
  private cp: ControlPlane | undefined;
  private started = false;
  private table = '';

  constructor(
    private readonly options: LinkedControlPlaneOptions,
    private readonly source: PodSource,
  ) {
    super();
  }

  /** The control plane (after `start()`). */
  get controlPlane(): ControlPlane {
    if (!this.cp) throw new ControlLinkError(ControlLinkErrorCode.Down, 'the control plane is not started');
    return this.cp;
  }

  async start(): Promise<ControlPorts> {
    const { ControlPlane } = await import('../control/control-plane.js');
    this.cp = new ControlPlane({
      ...this.options,
      store: { ...this.options.store, report: (line) => this.emit('notice', line) },
      podAddress: this.source.podAddress,
      isHealthy: this.source.isHealthy,
    });
    try {
      const ports = await this.controlPlane.start();
      this.started = true;
      this.controlPlane.store.subscribe(() => this.emit('change'));
      return ports;
    } catch (err) {
      await this.controlPlane.stop().catch(() => undefined);
      throw new ControlLinkError(ControlLinkErrorCode.StartFailed, (err as Error).message, { cause: err, errno: (err as NodeJS.ErrnoException).code });
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.cp?.stop();
  }

  get running(): boolean {
    return this.started;
  }

  get pid(): number {
    return process.pid;
  }

  resources(): readonly Resource[] {
    return this.cp?.store.resources() ?? [];
  }

  diagnostics(): readonly Diagnostic[] {
    return this.cp?.store.diagnostics() ?? [];
  }

  stateWarnings(): readonly string[] {
    return this.cp?.store.stateWarnings() ?? [];
  }

  refresh(): void {
    this.table = JSON.stringify(this.source.pods());
    this.cp?.refresh();
  }

  podsChanged(): void {
    if (!this.started || JSON.stringify(this.source.pods()) === this.table) return;
    this.refresh();
  }

  syncStatus(): Promise<ProxySyncStatus[]> {
    return Promise.resolve(this.cp?.syncStatus() ?? []);
  }

  mintToken(namespace: string, serviceAccount: string): Promise<string> {
    const ca = this.cp?.ca;
    if (!ca) return Promise.reject(new ControlLinkError(ControlLinkErrorCode.Down, 'the control plane has no CA'));
    return ca.mintToken(namespace, serviceAccount);
  }

  get ca(): ControlCaInfo | undefined {
    const ca = this.cp?.ca;
    return ca ? { port: ca.port, rootCertFile: ca.rootCertFile } : undefined;
  }
}
