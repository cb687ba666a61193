/**
 * `startProxy`: Weft's data-plane proxy assembled — ADS client → runtime snapshot (compiled per
 * accepted push, swapped atomically, NACKed when it cannot compile) → listeners, filter chain
 * (built per connection manager from its `httpFilters`) over the cluster manager, stats and admin endpoints. `stop()` drains:
 * stop accepting, finish in-flight requests, then close pools and the xDS stream.
 */
import { localityFromLabels } from '../registry/locality.js';
import { AdsClient } from '../xds/ads-client.js';
import type { JsonValue } from '../xds/node-info.js';
import { startAdmin, type AdminServers } from './admin.js';
import { ClusterManager } from './upstream/cluster-manager.js';
import { defaultHttpFilterChain } from './hcm/http-filter-registry.js';
import { ListenerManager } from './listener-manager.js';
import type { ProxyContext } from './listener/proxy-context.js';
import { ProxyStats } from './stats/proxy-stats.js';
import { tcpRbacStatsObserver } from './tcp/tcp-rbac-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, RuntimeSnapshot, withUpdate, type XdsResources } from './listener/runtime-snapshot.js';
import { StatsStore } from './stats/stats-store.js';
import { trackControlPlaneConnection } from './control-plane-connection.js';
import { ProxyTls, type ProxyIdentityOptions } from './listener/proxy-tls.js';
import { TypeUrl } from '../envoy/type-url.js';
import { destinationReporterTarget, sourceReporterTarget, UNKNOWN_WORKLOAD, workloadLabels, type WorkloadInfo } from './stats/telemetry.js';
import { FileSinks } from './access-log/file-sink.js';
import { OutboundAuth } from './listener/outbound-auth.js';
import { ClusterWarming } from './upstream/cluster-warming.js';
import { ZipkinReporter } from './tracing/zipkin-reporter.js';

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  readonly role: 'sidecar' | 'gateway';
  /** Pod IP: the proxy binds its listeners and admin here. */
  readonly ip: string;
  /** Pod name (default: `<role>-<ip>`). */
  readonly podName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  /** Where the app listens (inbound clusters point here). */
  readonly appAddress?: string;
  /** Workload name for Istio metrics (default: the `app` label, else the pod name). */
  readonly workloadName?: string;
  /** Explicit node id (default Istio's `<type>~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`). */
  readonly id?: string;
  /**
   * Control plane ADS address `host:port`: with `identity`, the authenticated xDS port (the CA's,
   * 15012), dialled over mTLS with the workload certificate; without, the plaintext debug port.
   */
  readonly xds: string;
  /** Ports; 0 = any free port. Defaults 15001, 15000, 15021, 15090. */
  readonly outboundPort?: number;
  readonly adminPort?: number;
  readonly readyPort?: number;
  readonly prometheusPort?: number;
  /** Gateway listeners bind here (default: `ip`). */
  readonly gatewayHost?: string;
  /** Port mapping for inbound/gateway listeners (tests). */
  readonly bindPort?: (port: number, kind: 'inbound' | 'gateway') => number;
  /** Connections each listener keeps open at most (src/proxy/listener/listener-limits.ts; default 10,000; 0 = no limit). */
  readonly maxConnectionsPerListener?: number;
  /** Diagnostics sink (NACKs, bind failures). */
  readonly log?: (line: string) => void;
  /** Workload identity from the mesh CA (mTLS); without it the proxy has no certificate. See src/proxy/listener/proxy-tls.ts. */
  readonly identity?: ProxyIdentityOptions;
  /** Secret the sidecar's outbound listener requires as `Proxy-Authorization` (src/proxy/listener/outbound-auth.ts); open when absent. */
  readonly outboundCredential?: string;
}

/** A running proxy. */
export interface ProxyHandle {
  readonly nodeId: string;
  readonly adminPort: number;
  readonly readyPort: number;
  readonly prometheusPort: number;
  /** Bound outbound port (sidecars). */
  outboundPort(): number;
  /** Bound ports of inbound (by configured port) and gateway (by listener name) listeners. */
  ports(): ReturnType<ListenerManager['ports']>;
  /** The current runtime snapshot. */
  snapshot(): RuntimeSnapshot;
  /** The xDS client (for tests and diagnostics). */
  readonly ads: AdsClient;
  /** Resolves once the snapshot is ready (listeners, clusters and referenced routes present) and bound. */
  ready(): Promise<void>;
  /** Drains and stops. */
  stop(graceMs?: number): Promise<void>;
  /** Identity, secrets and TLS state. */
  readonly tls: ProxyTls;
}

/** Starts a proxy: admin first, then the xDS stream; listeners bind as config arrives. */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const namespace = options.namespace ?? 'default';
  const labels = options.labels ?? {};
  const podName = options.podName ?? `${options.role}-${options.ip.replace(/[.:]/g, '-')}`;
  const type = options.role === 'gateway' ? 'router' : 'sidecar';
  const nodeId = options.id ?? `${type}~${options.ip}~${podName}.${namespace}~${namespace}.svc.cluster.local`;
  const log = options.log ?? (() => undefined);
  const tls = new ProxyTls(options.identity, { namespace, serviceAccount: options.serviceAccount ?? 'default', nodeId, log });
  const self: WorkloadInfo = {
    workload: options.workloadName ?? podName,
    namespace,
    ...workloadLabels(labels, options.workloadName ?? podName),
    cluster: 'Kubernetes',
    principal: tls.principal,
  };
  const stats = new ProxyStats(new StatsStore());
  const clusterManager = new ClusterManager({ stats, self, tls: tls.upstreamDeps(stats.store) });
  const empty = compileSnapshot(EMPTY_RESOURCES, { podIp: options.ip, clusterManager });
  // Spans go to the tracer's collector through this proxy's clusters (src/proxy/tracing/zipkin-reporter.ts).
  const spanReporter = new ZipkinReporter(() => ctx.snapshot, stats.store);
  const ctx: ProxyContext = {
    snapshot: empty,
    clusterManager,
    stats,
    self,
    // Each connection manager runs the chain built from its own `httpFilters` (hcm/http-filter-registry.ts);
    // this one serves connection managers built without one.
    filters: defaultHttpFilterChain(),
    noClusterOutbound: sourceReporterTarget(stats, self, UNKNOWN_WORKLOAD, undefined),
    noClusterInbound: destinationReporterTarget(stats, self, undefined),
    inFlight: 0,
    accessLogFiles: new FileSinks(stats.store),
    spans: {
      reporter: spanReporter,
      // Istio's service cluster `<canonical service>.<namespace>` names the proxy in its spans.
      node: { nodeId, zone: localityFromLabels(labels).split('/')[1] ?? '', serviceName: `${self.canonicalService}.${namespace}`, ip: options.ip },
    },
  };
  const listeners = new ListenerManager(ctx, {
    role: options.role, ip: options.ip, outboundPort: options.outboundPort ?? 15001, gatewayHost: options.gatewayHost,
    bindPort: options.bindPort, onError: (m) => log(`proxy: bind failed: ${m}`), inboundTls: tls.inboundSupport(),
    // Gateway TLS. ALPN offers http/1.1 only until the listener's HTTP/2 path (src/proxy/h2) serves
    // ALPN-h2 TLS sockets end to end; then make this ['h2', 'http/1.1'] (istiod's list).
    gatewayTls: { secrets: tls.secrets, log, httpAlpn: ['http/1.1'], rbacObserver: tcpRbacStatsObserver(stats) },
    outboundAuth: options.outboundCredential !== undefined ? new OutboundAuth(options.outboundCredential) : undefined,
    ...(options.maxConnectionsPerListener !== undefined ? { maxConnectionsPerListener: options.maxConnectionsPerListener } : {}),
  });
  let state = 'PRE_INITIALIZING';
  const startedAt = Date.now();
  const admin: AdminServers = await startAdmin({ ctx, nodeId, startedAt, state: () => state, secrets: () => tls.secrets.dump() }, options.ip, {
    admin: options.adminPort ?? 15000, ready: options.readyPort ?? 15021, prometheus: options.prometheusPort ?? 15090,
  });

  let stopping: Promise<void> | undefined;
  /** What the ADS client accepted; the snapshot serves what cluster warming makes of it (cluster-warming.ts). */
  let resources: XdsResources = EMPTY_RESOURCES;
  let readyResolve: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
  let reconciling: Promise<void> = Promise.resolve();
  const warming = new ClusterWarming();
  let warmTimer: NodeJS.Timeout | undefined;
  /** Compiles and swaps in the snapshot for accepted resources `next`; an error message when it cannot compile. */
  const install = (next: XdsResources): string | undefined => {
    const plan = warming.resolve(next, Date.now());
    let snap: RuntimeSnapshot;
    try {
      snap = compileSnapshot(plan.resources, { podIp: options.ip, clusterManager });
    } catch (err) {
      return (err as Error).message;
    }
    resources = next;
    warming.commit(plan);
    ctx.snapshot = snap;
    clusterManager.commitTable(snap.clusters);
    for (const name of plan.timedOut) log(`proxy: cluster ${name} activated without endpoints: its initial fetch timeout passed`);
    clearTimeout(warmTimer);
    // A bound of warming runs out (initial fetch timeout, route hold, retained cluster): look again then.
    if (plan.nextDeadline !== undefined && !stopping) {
      warmTimer = setTimeout(() => {
        const error = install(resources);
        if (error !== undefined) log(`proxy: re-resolving warming failed: ${error}`);
      }, Math.max(0, plan.nextDeadline - Date.now()) + 1);
      warmTimer.unref();
    }
    reconciling = reconciling.then(() => listeners.reconcile(snap)).catch((err: Error) => log(`proxy: ${err.message}`));
    return undefined;
  };
  const metadata: Record<string, JsonValue> = {
    NAMESPACE: namespace, LABELS: { ...labels }, SERVICE_ACCOUNT: options.serviceAccount ?? 'default', WORKLOAD_NAME: self.workload,
  };
  if (options.appAddress) metadata['APP_ADDRESS'] = options.appAddress;

  const xdsSecurity = tls.xdsSecurity();
  const ads = new AdsClient({
    target: options.xds,
    ...(xdsSecurity ? { credentials: xdsSecurity.credentials, channelOptions: xdsSecurity.channelOptions } : {}),
    node: { id: nodeId, metadata, locality: localityFromLabels(labels) || undefined, userAgentName: 'weft-proxy', userAgentVersion: '0.1.0' },
    onUpdate: async (typeUrl, update, version) => {
      if (typeUrl === TypeUrl.Secret) tls.secrets.updateSds(update, version);
      const error = install(withUpdate(resources, typeUrl, update, version));
      if (error !== undefined) {
        log(`proxy: rejected ${typeUrl} version ${version}: ${error}`);
        return error;
      }
      await reconciling;
      const snap = ctx.snapshot;
      if (snap.ready && state === 'PRE_INITIALIZING') {
        state = 'LIVE';
        readyResolve();
      }
      return undefined;
    },
  });
  trackControlPlaneConnection(ads, stats.store, log);
  try {
    await tls.start();
  } catch (err) {
    await admin.close();
    throw err;
  }
  ads.start();

  return {
    nodeId,
    adminPort: admin.adminPort,
    readyPort: admin.readyPort,
    prometheusPort: admin.prometheusPort,
    ads,
    outboundPort: () => listeners.outboundBoundPort,
    ports: () => listeners.ports(),
    snapshot: () => ctx.snapshot,
    ready: () => readyPromise,
    tls,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        state = 'DRAINING';
        clearTimeout(warmTimer);
        await listeners.close(graceMs);
        await spanReporter.close();
        ads.close();
        tls.stop();
        clusterManager.closeAll();
        await ctx.accessLogFiles?.close();
        await admin.close();
      })();
      return stopping;
    },
  };
}
