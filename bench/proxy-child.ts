/**
 * Child process of the proxy benchmark: one Weft proxy (`startProxy`) in its own process, so its
 * CPU and RSS can be read from /proc and it can be pinned to a core. Options come as JSON in
 * argv[2]; once the proxy is ready (and, when asked, the named cluster has endpoints or the named
 * inbound port is bound) it prints one line `READY {json}` with its bound ports. SIGTERM drains
 * (at most 3 s) and exits 0 (so `--cpu-prof` writes its profile).
 */
import { startProxy, type ProxyOptions } from '../src/proxy/proxy.js';

/** What the parent passes (JSON-serialisable subset of ProxyOptions plus readiness conditions). */
export interface ProxyChildOptions {
  readonly role: 'sidecar' | 'gateway';
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount?: string;
  readonly xds: string;
  /** Workload identity from the mesh CA (mTLS); the token is single-use. */
  readonly identity?: { readonly caAddress: string; readonly rootCertPem: string; readonly token: string };
  readonly appAddress?: string;
  /** true: inbound and gateway listeners bind their configured ports; false: any free port. */
  readonly exactPorts: boolean;
  /** Ready only once this cluster has at least one endpoint. */
  readonly waitCluster?: string;
  /** Ready only once at least this many clusters are present. */
  readonly waitClusterCount?: number;
  /** Ready only once an inbound listener for this port is bound. */
  readonly waitInboundPort?: number;
}

/** The `READY` line's payload. */
export interface ProxyChildReady {
  readonly outbound: number;
  readonly admin: number;
  readonly inbound: Record<string, number>;
  readonly gateways: Record<string, number>;
  readonly clusters: number;
}

/** How long a SIGTERM waits for `proxy.stop()` before exiting anyway. */
const STOP_GRACE_MS = 3000;

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as ProxyChildOptions;
  const options: ProxyOptions = {
    role: o.role,
    ip: o.ip,
    podName: o.podName,
    namespace: o.namespace,
    labels: o.labels,
    serviceAccount: o.serviceAccount,
    xds: o.xds,
    identity: o.identity,
    appAddress: o.appAddress,
    outboundPort: 0,
    adminPort: 0,
    readyPort: 0,
    prometheusPort: 0,
    bindPort: o.exactPorts ? undefined : () => 0,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const proxy = await startProxy(options);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Exit 0 in any case (so --cpu-prof writes its profile): stop() has been seen not to resolve
    // after a load run, so it gets STOP_GRACE_MS.
    const force = setTimeout(() => process.exit(0), STOP_GRACE_MS);
    void proxy.stop(1000).finally(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await proxy.ready();
  const conditionsMet = () => {
    const snap = proxy.snapshot();
    if (o.waitCluster && !(snap.clusters.get(o.waitCluster)?.hostSet.hosts.length)) return false;
    if (o.waitClusterCount && snap.clusters.size < o.waitClusterCount) return false;
    if (o.waitInboundPort && !proxy.ports().inbound.has(o.waitInboundPort)) return false;
    return true;
  };
  while (!conditionsMet()) await new Promise((r) => setTimeout(r, 50));
  const ports = proxy.ports();
  const ready: ProxyChildReady = {
    outbound: ports.outbound,
    admin: proxy.adminPort,
    inbound: Object.fromEntries([...ports.inbound].map(([k, v]) => [String(k), v])),
    gateways: Object.fromEntries(ports.gateways),
    clusters: proxy.snapshot().clusters.size,
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((err) => {
  process.stderr.write(`proxy-child failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
