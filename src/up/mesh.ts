/**
 * `weft up` assembled: the control plane in this process, an ingress gateway proxy, and for every
 * Deployment replica a pod (sidecar + app). The pods follow the config: a Deployment added, removed
 * or changed in DIR (or through `weft apply`) starts, stops or restarts its pods. Stopping drains
 * everything in order: apps, sidecars, gateway, control plane.
 */
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ChildControlLink } from './control-child-link.js';
import { InProcessControlLink, type ControlLink } from './control-link.js';
import { proxyId } from '../model/proxy-node.js';
import type { Workload } from '../registry/types.js';
import { LoopbackAllocator, loopbackAliasesWork, type AddressAllocator, type PodAddresses } from './address-allocator.js';
import type { PodPlan } from './pod-plan.js';
import { PodRunner } from './pod-runner.js';
import { RolloutController } from './rollout-controller.js';
import { httpOk, waitUntilReady } from './readiness.js';
import { Supervisor } from './supervisor.js';
import { WEFT_BIN } from './weft-bin.js';
import { PROXY_NODE_FLAGS } from '../proxy/node-flags.js';
import { UserError } from '../util/user-error.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { secureStateDir } from '../control/state-dir.js';
import { AppHomes, type AppUser } from './app-user.js';
import { API_TOKEN_FILE, withoutApiCredentials } from '../control/api-auth.js';
import type { Suppression } from '../config/suppression.js';

/** Options of `weft up`. */
export interface MeshOptions {
  /** Directory of Istio + Kubernetes YAML (watched). */
  readonly dir: string;
  /** State directory (applied config, CA, logs). */
  readonly stateDir: string;
  /** Gateway HTTP port for Gateway port 80 (and 8080). */
  readonly httpPort: number;
  /** Gateway HTTPS port for Gateway port 443. */
  readonly httpsPort: number;
  /** Authenticated xDS and CA (CSR) port, one gRPC-over-TLS port as istiod's 15012; proxies dial it with their workload certificate. */
  readonly xdsPort: number;
  readonly apiPort: number;
  /** Plaintext xDS for debugging (unauthenticated, no secrets); off when absent. */
  readonly insecureXdsPort?: number;
  /** Second octet of the pods' loopback network (127.N.x.y; apps on 127.N+1.x.y); default 10. */
  readonly podNet?: number;
  /** Mesh config (access logs, providers); Istio's defaults when absent. */
  readonly meshConfig?: MeshConfig;
  /** Output lines of apps and sidecars, when shown. */
  readonly onLine?: (pod: string, source: 'app' | 'sidecar' | 'gateway', line: string) => void;
  /** The user apps run as (src/up/app-user.ts); this user when absent. */
  readonly appUser?: AppUser;
  /** Warnings and errors the user must see even without --logs. */
  readonly warn?: (line: string) => void;
  /**
   * Run the control plane in this process (its crash is then `weft up`'s) instead of a supervised
   * child process that is restarted while pods keep serving (default).
   */
  readonly inProcessControlPlane?: boolean;
  /** The config store's notices (bad files, duplicates, overrides, restored state: store-notices.ts), once per change. */
  readonly configReport?: (line: string) => void;
  /** `--suppress` entries: the config notices they match are not reported (config/suppression.ts). */
  readonly suppress?: readonly Suppression[];
}

/** Events of a mesh. */
export interface MeshEvents {
  change: [];
  /** Every pod's app and sidecar and the gateway are ready. */
  ready: [];
}

/** Ingress gateway identity, as Istio's default ingress gateway. */
export const GATEWAY_POD = 'istio-ingressgateway-0';
export const GATEWAY_NAMESPACE = 'istio-system';
export const GATEWAY_LABELS = { istio: 'ingressgateway', app: 'istio-ingressgateway' } as const;

/** A running embedded mesh. */
export class Mesh extends EventEmitter<MeshEvents> {
  /** The control plane (in a supervised child process unless `inProcessControlPlane`). */
  readonly controlPlane: ControlLink;
  readonly pods = new Map<string, PodRunner>();
  gateway?: Supervisor;
  gatewayReady = false;
  private gatewayLog: WriteStream | undefined;
  private readonly appHomes: AppHomes | undefined;
  private readonly allocator: AddressAllocator;
  private reconciling: Promise<void> = Promise.resolve();
  private stopping = false;
  private announcedReady = false;
  readonly gatewayProxyId: string;
  /** Pods, rollouts and scaling of the Deployments (src/up/rollout-controller.ts). */
  private readonly rollout: RolloutController;
  private xds = '';

  constructor(readonly options: MeshOptions) {
    super();
    this.allocator = new LoopbackAllocator(options.podNet ?? 10);
    this.appHomes = options.appUser?.switched ? new AppHomes(options.appUser) : undefined;
    this.gatewayProxyId = proxyId('router', this.allocator.gatewayIp, GATEWAY_POD, GATEWAY_NAMESPACE);
    this.rollout = new RolloutController({
      resources: () => this.controlPlane.resources(),
      baseDir: options.dir,
      allocator: this.allocator,
      refresh: () => this.controlPlane.refresh(),
      syncStatus: () => this.controlPlane.syncStatus(),
      createPod: (plan, addresses) => this.createPod(plan, addresses),
      requestReconcile: () => this.reconcile(this.xds),
      changed: () => this.changed(),
      warn: options.warn,
    }, this.pods);
    const linkOptions = {
      store: { watchDir: options.dir, stateDir: path.join(options.stateDir, 'store'), suppress: options.suppress },
      insecureXdsPort: options.insecureXdsPort,
      httpPort: options.apiPort,
      translate: { gatewayPortMap: { 80: options.httpPort, 8080: options.httpPort, 443: options.httpsPort, 8443: options.httpsPort } },
      ca: { port: options.xdsPort },
      meshConfig: options.meshConfig,
      // `weft apply/get/…` run in the same directory find the token in STATE/api-token.
      api: { tokenFile: path.join(options.stateDir, API_TOKEN_FILE) },
    };
    const pods = {
      podAddress: (pod: { namespace: string; name: string }) => this.rollout.podAddress(pod),
      isHealthy: (w: Workload) => this.isHealthy(w),
      pods: () => this.rollout.slotReports(),
    };
    this.controlPlane = options.inProcessControlPlane ? new InProcessControlLink(linkOptions, pods) : new ChildControlLink(linkOptions, pods);
    // The store's notices (bad files, duplicates, overrides, restored state) come from wherever the control plane runs.
    this.controlPlane.on('notice', (line) => options.configReport?.(line));
  }

  /** The URL users open. */
  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.options.httpPort}`;
  }

  /** The HTTPS URL when a Gateway declares a server on port 443 or 8443 (undefined otherwise). */
  get gatewayHttpsUrl(): string | undefined {
    const tlsPort = this.controlPlane.resources().some((r) => {
      if (r.kind !== 'Gateway') return false;
      const servers = (r.spec as { servers?: readonly { port?: { number?: number } }[] }).servers ?? [];
      return servers.some((sv) => sv.port?.number === 443 || sv.port?.number === 8443);
    });
    return tlsPort ? `https://127.0.0.1:${this.options.httpsPort}` : undefined;
  }

  /** Starts the control plane, the gateway and every pod. */
  async start(): Promise<void> {
    if (!(await loopbackAliasesWork())) {
      throw new UserError('NO_LOOPBACK_ALIASES', 'this host answers only on 127.0.0.1; weft up needs the 127.0.0.0/8 loopback range (Linux has it)', {
        details: 'Port-range placement for such hosts is not implemented yet.',
      });
    }
    // Applied Secrets, the CA and token keys and logs live here: 0700/0600, older wider modes tightened.
    const tightened = await secureStateDir(this.options.stateDir, ['store', 'logs']);
    if (tightened.length > 0) this.options.warn?.(`weft up: tightened the modes of ${tightened.length} path(s) in ${this.options.stateDir} (state is private: dirs 0700, files 0600)`);
    let ports;
    try {
      ports = await this.controlPlane.start();
    } catch (err) {
      await this.controlPlane.stop().catch(() => undefined);
      const e = err as Error & { errno?: string };
      throw new UserError('START_FAILED', `control plane failed to start: ${e.message}`, {
        details: e.errno === 'EADDRINUSE' ? 'Another weft up or weft control may be running; stop it or pick other ports (--xds-port, --api-port).' : undefined,
        cause: err,
      });
    }
    const xds = `127.0.0.1:${ports.xdsPort}`;
    this.xds = xds;
    this.startGateway(xds);
    this.controlPlane.on('change', () => {
      this.rollout.noteConfigChange();
      this.reconcile(xds);
    });
    this.reconcile(xds);
    await this.reconciling;
  }

  /** Drains and stops everything; resolves when every process has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.reconciling.catch(() => undefined);
    await this.rollout.stopAll();
    await this.gateway?.stop(5000);
    this.gatewayLog?.end();
    await this.controlPlane.stop();
    this.appHomes?.remove();
  }

  /** Pods in a stable order. */
  podList(): PodRunner[] {
    return [...this.pods.values()].sort((a, b) => (a.plan.namespace + a.plan.name < b.plan.namespace + b.plan.name ? -1 : 1));
  }

  /** True when the gateway and every pod's sidecar and app are ready. */
  allReady(): boolean {
    return this.gatewayReady && [...this.pods.values()].every((p) => p.sidecarReady && (p.appReady || p.plan.argv.length === 0));
  }

  /** What a proxy needs for its workload certificate: the CA's address, the root file, a fresh single-use token. */
  private async proxyIdentityEnv(namespace: string, serviceAccount: string): Promise<NodeJS.ProcessEnv> {
    const ca = this.controlPlane.ca;
    if (!ca) return {};
    const root = ca.rootCertFile;
    return {
      WEFT_CA_ADDRESS: `127.0.0.1:${ca.port}`,
      ...(root ? { WEFT_CA_ROOT: root } : {}),
      // While the control plane is down this rejects: the proxy's supervisor retries with back-off.
      WEFT_BOOTSTRAP_TOKEN: await this.controlPlane.mintToken(namespace, serviceAccount),
    };
  }

  private isHealthy(w: Workload): boolean {
    return this.rollout.isHealthy(w);
  }

  private startGateway(xds: string): void {
    const labels = Object.entries(GATEWAY_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
    this.gateway = new Supervisor({
      spec: {
        command: process.execPath,
        args: [
          ...PROXY_NODE_FLAGS, WEFT_BIN, 'proxy', '--role', 'gateway', '--ip', this.allocator.gatewayIp, '--gateway-host', '127.0.0.1',
          '--pod', GATEWAY_POD, '--namespace', GATEWAY_NAMESPACE, '--labels', labels, '--service-account', 'istio-ingressgateway-service-account',
          '--workload', 'istio-ingressgateway', '--xds', xds, '--drain', '2000',
        ],
        env: withoutApiCredentials(process.env),
        cwd: this.options.dir,
      },
      prepare: () => this.proxyIdentityEnv(GATEWAY_NAMESPACE, 'istio-ingressgateway-service-account'),
    });
    // The gateway's output (its access log too, when on) is kept in STATE/logs/<gateway pod>.log.
    mkdirSync(path.join(this.options.stateDir, 'logs'), { recursive: true, mode: 0o700 });
    const gatewayLog = createWriteStream(path.join(this.options.stateDir, 'logs', `${GATEWAY_POD}.log`), { flags: 'a', mode: 0o600 });
    gatewayLog.on('error', () => undefined);
    this.gatewayLog = gatewayLog;
    this.gateway.on('line', (line) => {
      gatewayLog.write(`${line}\n`);
      this.options.onLine?.(GATEWAY_POD, 'gateway', line);
    });
    this.gateway.on('state', (s) => {
      if (s !== 'running') this.gatewayReady = false;
      else void this.watchGateway();
      this.emit('change');
    });
    this.gateway.start();
  }

  private async watchGateway(): Promise<void> {
    const ok = await waitUntilReady(() => httpOk(this.allocator.gatewayIp, 15021, '/healthz/ready'), { timeoutMs: 120_000, intervalMs: 50 });
    if (ok && this.gateway?.state === 'running') {
      this.gatewayReady = true;
      this.changed();
    }
  }

  /**
   * Starts, rolls out, scales and stops pods to match the Deployments in the store, the way a
   * Deployment's strategy asks, without failing requests (src/up/rollout-controller.ts).
   */
  private reconcile(xds: string): void {
    this.reconciling = this.reconciling
      .then(async () => {
        if (this.stopping || xds === '') return;
        return this.rollout.reconcile();
      })
      // One failed pass must not stop every later one.
      .catch((err: Error) => this.options.warn?.(`weft up: ERROR: reconciling pods failed: ${err.message}`));
  }

  /** A pod instance (not started) at `addresses`. */
  private createPod(plan: PodPlan, addresses: PodAddresses): PodRunner {
    return new PodRunner(plan, addresses, {
      xds: this.xds,
      logDir: path.join(this.options.stateDir, 'logs'),
      resources: () => this.controlPlane.resources(),
      proxyIdentityEnv: (ns, sa) => this.proxyIdentityEnv(ns, sa),
      onLine: this.options.onLine,
      appUser: this.options.appUser,
      appHomes: this.appHomes,
      warn: this.options.warn,
    });
  }

  private changed(): void {
    // Health the control plane has is kept current (a sidecar ready again after a restart, too).
    this.controlPlane.podsChanged();
    this.emit('change');
    if (!this.announcedReady && this.allReady()) {
      this.announcedReady = true;
      void this.announceWhenSynced();
    }
  }

  /**
   * Emits `ready` once every proxy has acknowledged the config that marks the last pod healthy,
   * so "ready" means a request through the gateway is served (not just that processes are up).
   */
  private async announceWhenSynced(): Promise<void> {
    const expected = this.pods.size + 1;
    const deadline = Date.now() + 10_000;
    // The push that marks the last pod healthy goes out in slices after this turn of the event
    // loop (ads-server schedulePush): let it start, so its proxies show STALE until they ACK.
    await new Promise((r) => setTimeout(r, 50));
    while (Date.now() < deadline && !this.stopping) {
      const status = await this.controlPlane.syncStatus().catch(() => []);
      const synced = status.filter((p) => Object.values(p.types).every((t) => t.state !== 'STALE'));
      if (status.length >= expected && synced.length === status.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    this.emit('ready');
  }
}
