/**
 * Replays a request against one proxy's translated xDS resources the way the proxy would handle it,
 * using the same matchers the proxy runs (`src/envoy/filter-chain-matcher.ts`,
 * `src/envoy/route-table.ts`, weighted clusters and rewrites) and the same Envoy semantics (route
 * timeout and its default, retry and fault policies, fractional percents, header mutations, all in
 * `src/envoy/`), so what a simulation proves is what the proxy does, as istiod's pilot simulation
 * tests do for Envoy.
 */
import { isIP } from 'node:net';
import { selectFilterChain, type ConnectionInfo } from '../envoy/filter-chain-matcher.js';
import { compileRouteTable, weightedChoices, type RouteTable } from '../envoy/route-table.js';
import { directReply, redirectReply, rewriteAuthority, rewritePath, tlsRedirectReply } from '../envoy/rewrite.js';
import { routeFault } from '../envoy/fault-policy.js';
import { fractionPercent } from '../envoy/fractional-percent.js';
import { requestHeaderMutations } from '../envoy/header-ops.js';
import { routeTimeoutMs } from '../envoy/route-timeout.js';
import type { CorsPolicy, FilterChain, HttpConnectionManager, HttpFault, Listener, RouteConfiguration, TcpProxy } from '../envoy/types.js';
import type { XdsResources } from '../translate/translate.js';
import { routeOrigin } from '../translate/route/route-metadata.js';
import { simulateAuthz, type SimAuthz } from './authz.js';
import { compileNetworkRbac, evaluateNetworkRbac } from '../envoy/rbac/network-rbac.js';
import type { SimClusterChoice, SimError, SimErrorCode, SimMirror, SimRequest, SimResult, SimSuccess } from './types.js';

const tables = new WeakMap<RouteConfiguration, RouteTable>();

/** Simulates one request against a proxy's resources. */
export function simulate(resources: XdsResources, request: SimRequest): SimResult {
  const target = parseTarget(request);
  const listener = request.inbound ? resources.listeners.find((l) => l.name === 'virtualInbound') : findListener(resources.listeners, target.port);
  if (!listener) return fail('no-listener', `no listener for port ${target.port}`, {});
  const tls = request.sni !== undefined;
  const conn: ConnectionInfo = {
    destinationIp: request.destinationIp ?? (isIP(target.host) ? target.host : '0.0.0.0'),
    destinationPort: target.port,
    ...(tls ? { serverName: request.sni } : {}),
    transportProtocol: tls ? 'tls' : 'raw_buffer',
    applicationProtocols: request.protocol === 'tcp' ? [] : ['http/1.1'],
    sourceIp: request.sourceIp ?? '127.0.0.1',
    sourcePort: 40000,
  };
  const chain = selectFilterChain(listener, conn);
  const where = { listener: listener.name ?? '' };
  if (!chain) return fail('no-filter-chain', `listener ${listener.name} has no filter chain for the connection`, where);
  const chainName = filterChainName(listener, chain);
  const at = { ...where, filterChain: chainName };
  const hcm = chain.filters?.find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typedConfig as HttpConnectionManager | undefined;
  const tcp = chain.filters?.find((f) => f.name === 'envoy.filters.network.tcp_proxy')?.typedConfig as TcpProxy | undefined;
  if (hcm && request.protocol !== 'tcp') return simulateHttp(resources, request, target, hcm, tls, at, conn);
  if (tcp) return simulateTcp(resources, tcp, chain, at, tcpAuthzOf(chain, request, conn));
  return fail('no-filter-chain', `filter chain ${chainName} has neither an HTTP connection manager nor a TCP proxy`, at);
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly authority: string;
}

function parseTarget(req: SimRequest): Target {
  if (req.port !== undefined) {
    return { host: req.destinationIp ?? '0.0.0.0', port: req.port, authority: req.authority ?? req.destination ?? '' };
  }
  const dest = req.destination ?? '';
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(dest);
  const host = m?.[1]?.replace(/^\[|\]$/g, '') ?? dest;
  const port = m?.[2] ? Number(m[2]) : 80;
  return { host, port, authority: req.authority ?? dest };
}

/** The listener bound to (or standing for) `port`, else the original-destination `virtualOutbound`. */
function findListener(listeners: readonly Listener[], port: number): Listener | undefined {
  const direct = listeners.find((l) => l.address?.socketAddress?.portValue === port && l.useOriginalDst?.value !== true);
  if (direct) return direct;
  return listeners.find((l) => l.useOriginalDst?.value === true && l.trafficDirection === 'OUTBOUND');
}

function filterChainName(listener: Listener, chain: FilterChain): string {
  if (chain === listener.defaultFilterChain) return chain.name || 'default';
  const i = (listener.filterChains ?? []).indexOf(chain);
  return chain.name || `#${i}`;
}

function fail(error: SimErrorCode, message: string, where: Partial<Omit<SimError, 'ok' | 'error' | 'message'>>): SimError {
  return { ok: false, error, message, ...where };
}

function checkClusters(resources: XdsResources, choices: readonly SimClusterChoice[]): string | undefined {
  const known = new Set(resources.clusters.map((c) => c.name));
  return choices.find((c) => !known.has(c.name))?.name;
}

/**
 * The chain's network RBAC decision for the connection (undefined when the chain has none): the same
 * engine the proxy runs once per connection (src/envoy/rbac/network-rbac.ts).
 */
function tcpAuthzOf(chain: FilterChain, request: SimRequest, conn: ConnectionInfo): SimAuthz | undefined {
  const stages = compileNetworkRbac(chain.filters ?? []);
  if (!stages) return undefined;
  const d = evaluateNetworkRbac(stages, {
    destinationIp: conn.destinationIp, destinationPort: conn.destinationPort, directRemoteIp: conn.sourceIp,
    peerPrincipal: request.peerPrincipal, requestedServerName: request.sni,
  });
  const stage = d.action === 'DENY' ? ('deny' as const) : d.action === 'ALLOW' ? ('allow' as const) : undefined;
  return { decision: d.allowed ? 'allow' : 'deny', ...(d.policy !== undefined ? { policy: d.policy } : {}), ...(stage ? { stage } : {}), path: '' };
}

function simulateTcp(resources: XdsResources, tcp: TcpProxy, chain: FilterChain, at: { listener: string; filterChain: string }, authz?: SimAuthz): SimResult {
  const clusters: SimClusterChoice[] = [];
  if (tcp.cluster) clusters.push({ name: tcp.cluster, weight: 1, share: 1 });
  const weighted = tcp.weightedClusters?.clusters ?? [];
  const total = weighted.reduce((n, c) => n + (c.weight ?? 0), 0);
  for (const c of weighted) clusters.push({ name: c.name ?? '', weight: c.weight ?? 0, share: total > 0 ? (c.weight ?? 0) / total : 0 });
  const origin = routeOrigin(chain.metadata);
  const missing = checkClusters(resources, clusters);
  if (missing) return fail('no-cluster', `cluster ${missing} is not in CDS`, { ...at, ...(origin ? { origin } : {}) });
  return { ok: true, ...at, ...(origin ? { origin } : {}), action: { kind: 'tcp', clusters }, ...(authz ? { authz } : {}) };
}

function simulateHttp(
  resources: XdsResources,
  request: SimRequest,
  target: Target,
  hcm: HttpConnectionManager,
  tls: boolean,
  at: { listener: string; filterChain: string },
  conn: ConnectionInfo,
): SimResult {
  const rcName = hcm.rds?.routeConfigName;
  const config = hcm.routeConfig ?? resources.routes.find((r) => r.name === rcName);
  if (!config) return fail('no-route-config', `route configuration ${rcName} is not in RDS`, { ...at, routeConfig: rcName });
  let table = tables.get(config);
  if (!table) tables.set(config, (table = compileRouteTable(config)));
  const authz = authzOf(hcm, request, target, tls, conn);
  const attrs = {
    authority: target.authority,
    method: request.method ?? 'GET',
    path: authz?.path ?? request.path ?? '/',
    scheme: request.scheme ?? (tls ? 'https' : 'http'),
    headers: request.headers ?? {},
    random: request.random ?? 0.5,
  };
  const where = { ...at, routeConfig: config.name ?? '' };
  const sel = table.select(attrs);
  if (sel.kind === 'no-virtual-host') return fail('no-virtual-host', `no virtual host of ${config.name} matches ${target.authority}`, where);
  const vhWhere = { ...where, virtualHost: sel.virtualHost.name ?? '' };
  if (sel.kind === 'no-route') return fail('no-route', `no route of ${sel.virtualHost.name} matches ${attrs.method} ${attrs.path}`, vhWhere);
  if (sel.kind === 'tls-redirect') {
    const reply = tlsRedirectReply(attrs);
    return { ok: true, ...vhWhere, action: { kind: 'redirect', status: reply.status, location: reply.location ?? '' } };
  }
  const route = sel.route;
  const origin = routeOrigin(route.metadata);
  const base = { ...vhWhere, route: { name: route.name ?? '', index: sel.routeIndex }, ...(origin ? { origin } : {}) };
  const perFilter = route.typedPerFilterConfig ?? {};
  // The fault filter's config: the route's, else the virtual host's (src/envoy/fault-policy.ts).
  const fault = routeFault(route, sel.virtualHost)?.config as (HttpFault & { '@type'?: string }) | undefined;
  const cors = perFilter['envoy.filters.http.cors'] as (CorsPolicy & { '@type': string }) | undefined;
  // Every level's request header mutations, in the order the router applies them.
  const headerOps = requestHeaderMutations(config, sel.virtualHost, route);
  const extras: Partial<SimSuccess> = {
    ...(fault ? { fault: stripType(fault) } : {}),
    ...(cors ? { cors: stripType(cors) } : {}),
    ...(headerOps.add.length > 0 ? { requestHeadersToAdd: headerOps.add } : {}),
    ...(headerOps.remove.length > 0 ? { requestHeadersToRemove: headerOps.remove } : {}),
    ...(authz ? { authz } : {}),
  };
  if (route.redirect) {
    const reply = redirectReply(route, attrs);
    return { ok: true, ...base, ...extras, action: { kind: 'redirect', status: reply.status, location: reply.location ?? '' } };
  }
  if (route.directResponse) {
    const reply = directReply(route, attrs);
    return { ok: true, ...base, ...extras, action: { kind: 'direct-response', status: reply.status, ...(reply.body !== undefined ? { body: reply.body } : {}) } };
  }
  const action = route.route;
  if (!action) return fail('no-route', `route ${route.name} has no action`, base);
  const clusters = weightedChoices(action).map((c) => ({ name: c.name, weight: c.weight, share: c.share }));
  const missing = checkClusters(resources, clusters);
  if (missing) return fail('no-cluster', `cluster ${missing} is not in CDS`, base);
  // A mirror without a runtime fraction copies every request, as the proxy's mirror.ts samples it.
  const mirrors: SimMirror[] = (action.requestMirrorPolicies ?? []).map((m) => ({
    cluster: m.cluster ?? '',
    percent: fractionPercent(m.runtimeFraction?.defaultValue, 100),
  }));
  const retryPolicy = action.retryPolicy ?? sel.virtualHost.retryPolicy;
  const newPath = rewritePath(route, attrs.path);
  const newAuthority = rewriteAuthority(action, attrs);
  const rewrite = {
    ...(newPath !== attrs.path ? { path: newPath } : {}),
    ...(newAuthority !== undefined ? { authority: newAuthority } : {}),
  };
  return {
    ok: true,
    ...base,
    ...extras,
    action: { kind: 'route', clusters },
    timeoutMs: routeTimeoutMs(action),
    // The route's retry policy, else its virtual host's, as the router takes it.
    ...(retryPolicy ? { retryPolicy } : {}),
    ...(action.hashPolicy ? { hashPolicy: action.hashPolicy } : {}),
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(Object.keys(rewrite).length > 0 ? { rewrite } : {}),
  };
}

/** Authorization of the request by the HCM's path handling and security filters (undefined when it has none). */
function authzOf(hcm: HttpConnectionManager, request: SimRequest, target: Target, tls: boolean, conn: ConnectionInfo): SimAuthz | undefined {
  const secure = (hcm.httpFilters ?? []).some((f) => f.name === 'envoy.filters.http.rbac' || f.name === 'envoy.filters.http.ext_authz');
  if (!secure && hcm.normalizePath?.value !== true && hcm.mergeSlashes !== true) return undefined;
  return simulateAuthz(hcm, {
    method: request.method ?? 'GET', path: request.path ?? '/', authority: target.authority, scheme: request.scheme ?? (tls ? 'https' : 'http'),
    headers: request.headers ?? {}, sourceIp: conn.sourceIp, destinationIp: conn.destinationIp, destinationPort: conn.destinationPort,
    ...(request.peerPrincipal !== undefined ? { peerPrincipal: request.peerPrincipal } : {}),
    ...(request.jwtClaims !== undefined ? { jwtClaims: request.jwtClaims } : {}),
    ...(request.sni !== undefined ? { sni: request.sni } : {}),
  });
}

function stripType<T extends { '@type'?: string }>(any: T): Omit<T, '@type'> {
  const { '@type': _t, ...rest } = any;
  return rest;
}
