/**
 * The proxy's admin endpoints: Envoy-like admin (`/config_dump`, `/clusters`, `/stats`,
 * `/stats/prometheus`, `/ready`, `/server_info`) on 15000, `/healthz/ready` on 15021 and
 * `/stats/prometheus` on 15090, each bound to the proxy's own address.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import { TypeUrl } from '../envoy/type-url.js';
import type { ProxyContext } from './listener/proxy-context.js';
import { limitsOf } from './upstream/circuit-breaker.js';
import { configuredHostLines } from './upstream/cluster-admin-text.js';
import type { SecretDumpEntry } from './tls/secret-store.js';
import { redactedJson } from './admin-redact.js';

/** What admin handlers read. */
export interface AdminSource {
  readonly ctx: ProxyContext;
  readonly nodeId: string;
  readonly startedAt: number;
  /** 'LIVE', 'PRE_INITIALIZING' or 'DRAINING'. */
  state(): string;
  /** The proxy's secrets for the `SecretsConfigDump` section (src/proxy/tls/secret-store.ts). */
  secrets?(): readonly SecretDumpEntry[];
}

type Route = (src: AdminSource) => { status: number; type: string; body: string };

const text = (body: string, status = 200) => ({ status, type: 'text/plain; charset=utf-8', body });
const json = (v: unknown) => ({ status: 200, type: 'application/json', body: JSON.stringify(v, null, 2) + '\n' });
const prom = (src: AdminSource) => ({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: src.ctx.stats.store.renderPrometheus() });
const ready = (src: AdminSource) => (src.state() === 'LIVE' ? text('LIVE\n') : text(`${src.state()}\n`, 503));

const ADMIN: Readonly<Record<string, Route>> = {
  // Private keys and passwords never leave the proxy (Envoy redacts sensitive fields too).
  '/config_dump': (src) => ({ status: 200, type: 'application/json', body: redactedJson(configDump(src)) }),
  '/clusters': (src) => text(clustersText(src)),
  '/stats': (src) => text(src.ctx.stats.store.renderText()),
  '/stats/prometheus': prom,
  '/ready': ready,
  '/server_info': (src) => json({ version: 'weft/0.1.0', state: src.state(), node: { id: src.nodeId }, uptime_current_epoch: `${Math.round((Date.now() - src.startedAt) / 1000)}s` }),
};

/**
 * Whether a request's Host names this machine by address (an IP literal or `localhost`, any port).
 * Admin ports are on loopback, which a web page in a local browser can reach; with DNS rebinding
 * (a name of the page's site re-resolved to 127.x) it could read the answers. Such requests carry
 * the site's name as Host and are refused (the defence Jupyter's local server uses).
 */
export function adminHostAllowed(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 && /^(:\d*)?$/.test(host.slice(end + 1)) && isIP(host.slice(1, end)) === 6;
  }
  const h = host.replace(/:\d*$/, '');
  return isIP(h) === 4 || h.toLowerCase() === 'localhost';
}

/** Starts an HTTP server answering `routes` on host:port; resolves with the server and port. */
async function serve(routes: Readonly<Record<string, Route>>, src: AdminSource, host: string, port: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[path];
    let out;
    try {
      out = !adminHostAllowed(req.headers.host) ? text('admin answers only requests addressed to an IP address or localhost\n', 403) : route ? route(src) : text('not found\n', 404);
    } catch (err) {
      out = text(`error: ${(err as Error).message}\n`, 500);
    }
    res.writeHead(out.status, { 'content-type': out.type, 'content-length': Buffer.byteLength(out.body) });
    res.end(out.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}

/** The three admin servers. */
export interface AdminServers {
  readonly adminPort: number;
  readonly readyPort: number;
  readonly prometheusPort: number;
  close(): Promise<void>;
}

/** Starts admin (15000), readiness (15021) and Prometheus (15090) servers on `host`. */
export async function startAdmin(src: AdminSource, host: string, ports: { admin: number; ready: number; prometheus: number }): Promise<AdminServers> {
  const started: http.Server[] = [];
  try {
    const a = await serve(ADMIN, src, host, ports.admin);
    started.push(a.server);
    const r = await serve({ '/healthz/ready': ready }, src, host, ports.ready);
    started.push(r.server);
    const p = await serve({ '/stats/prometheus': prom }, src, host, ports.prometheus);
    started.push(p.server);
    return { adminPort: a.port, readyPort: r.port, prometheusPort: p.port, close: () => closeAll(started) };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

async function closeAll(servers: readonly http.Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  })));
}

/** Envoy's `/config_dump` shape: listeners, routes, clusters and endpoints with versions. */
export function configDump(src: AdminSource): unknown {
  const r = src.ctx.snapshot.resources;
  const v = (t: string) => r.versions[t] ?? '';
  return {
    configs: [
      { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: src.nodeId } } },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        versionInfo: v(TypeUrl.Cluster),
        dynamicActiveClusters: [...r.clusters.values()].map((cluster) => ({ versionInfo: v(TypeUrl.Cluster), cluster: { '@type': TypeUrl.Cluster, ...cluster } })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        versionInfo: v(TypeUrl.Listener),
        dynamicListeners: [...r.listeners.entries()].map(([name, listener]) => ({ name, activeState: { versionInfo: v(TypeUrl.Listener), listener: { '@type': TypeUrl.Listener, ...listener } } })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        dynamicRouteConfigs: [...r.routes.values()].map((routeConfig) => ({ versionInfo: v(TypeUrl.RouteConfiguration), routeConfig: { '@type': TypeUrl.RouteConfiguration, ...routeConfig } })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
        dynamicEndpointConfigs: [...r.endpoints.values()].map((endpointConfig) => ({ versionInfo: v(TypeUrl.ClusterLoadAssignment), endpointConfig: { '@type': TypeUrl.ClusterLoadAssignment, ...endpointConfig } })),
      },
      { '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamicActiveSecrets: src.secrets?.() ?? [] },
    ],
  };
}

/** Envoy's `/clusters` text: `cluster::host::field::value` lines (clusters not in use yet: from their config). */
function clustersText(src: AdminSource): string {
  const lines: string[] = [];
  for (const [name, e] of src.ctx.snapshot.clusters.configured()) {
    const c = e.runtime;
    const l = c ? c.resilience.breaker.current : limitsOf(e.config.circuitBreakers);
    lines.push(
      `${name}::default_priority::max_connections::${l.maxConnections}`, `${name}::default_priority::max_pending_requests::${l.maxPendingRequests}`,
      `${name}::default_priority::max_requests::${l.maxRequests}`, `${name}::default_priority::max_retries::${l.maxRetries}`,
    );
    if (c === undefined) {
      lines.push(...configuredHostLines(name, e.config, e.cla));
      continue;
    }
    for (const rt of c.hosts.values()) {
      const host = rt.host;
      const h = `${c.name}::${host.toString()}`;
      const flags: string[] = [];
      if (!rt.edsHealthy) flags.push('/failed_eds_health');
      if (c.resilience.checker?.isFailed(rt.key)) flags.push('/failed_active_hc');
      if (c.resilience.detector?.isEjected(rt.key)) flags.push('/failed_outlier_check');
      lines.push(`${h}::rq_active::${host.stats.activeRequests}`, `${h}::health_flags::${flags.length ? flags.join('') : 'healthy'}`, `${h}::weight::${host.weight}`);
    }
  }
  return lines.join('\n') + '\n';
}
