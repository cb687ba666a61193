/**
 * The explain engine: one hypothetical request from one workload, replayed through the source
 * proxy's translated config with the simulator (`src/simulate/`), then at each destination's
 * sidecar. Pure: a snapshot in, an Explanation out (analysis messages, when wanted, are passed in).
 *
 * Sidecars: the app calls `http://host:port/path` through its sidecar (the outbound listener for the
 * port, else `virtualOutbound`). Gateway (`--from ingress`): the URL is what a client sends to the
 * gateway; a Gateway server port that `weft up` maps (80 → 8080, 443 → 8443) is accepted either way,
 * and a port no listener has is taken as where the scheme's server port (80 or 443) was mapped
 * (`weft up --http-port 18080`).
 */
import type { Diagnostic } from '../config/diagnostic.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { simulate } from '../simulate/simulate.js';
import type { SimRequest, SimResult } from '../simulate/types.js';
import { buildProxyScope, type ProxyScope } from '../translate/proxy-scope.js';
import { parseClusterName } from '../translate/cluster/index.js';
import { securityHttpFilters } from '../translate/security/security-filters.js';
import { translate, type TranslateOptions, type XdsResources } from '../translate/translate.js';
import { MESH_GATEWAY } from '../translate/virtual-services.js';
import { analysisNotes, EXPLAIN_NOTE_CODE, uniqueNotes, virtualServiceNotes, virtualServicesForHost } from './config-notes.js';
import { describeDestination, type DescribedDestination } from './destination.js';
import { describeAuthorization, explainInbound } from './inbound.js';
import { parseExplainRequest } from './request.js';
import { describeFault, describeHashPolicy, describeHeaders, describeRetries } from './route-policy.js';
import { ruleMisses } from './rule-misses.js';
import { resolveSource } from './source.js';
import type { ConfigNote, ExplainedDestination, ExplainedOutbound, ExplainedRequest, Explanation, ExplainInput, RuleMiss } from './types.js';
import { verdictOf } from './verdict.js';
import { unsupportedFieldNotes } from './unsupported-notes.js';
import { UNSUPPORTED_FIELD } from '../config/field-support/unsupported-fields.js';
import { isPod } from '../registry/pod-workload.js';

/** `weft up`'s gateway port map (Istio's ingress Service: 80 → 8080, 443 → 8443). */
export const DEFAULT_GATEWAY_PORT_MAP: Readonly<Record<number, number>> = Object.freeze({ 80: 8080, 443: 8443 });

/** Options of one explanation. */
export interface ExplainOptions {
  /** Gateway server port → listener port (default `DEFAULT_GATEWAY_PORT_MAP`). */
  readonly gatewayPortMap?: Readonly<Record<number, number>>;
  /** Analyzer messages for the same config; those about resources on the path become notes. */
  readonly analysis?: readonly Diagnostic[];
  /** Random draw in [0, 1) for runtime-fraction matches (default 0.5). */
  readonly random?: number;
}

/** Explains one request against a snapshot. Throws CliError for an unknown workload or a bad URL. */
export function explain(snapshot: MeshSnapshot, input: ExplainInput, options: ExplainOptions = {}): Explanation {
  const request = parseExplainRequest(input.url, input.method, input.headers);
  const { node, source } = resolveSource(snapshot, input.from, input.namespace);
  let portMap = options.gatewayPortMap ?? DEFAULT_GATEWAY_PORT_MAP;
  const translateOptions = (): TranslateOptions => (node.role === 'router' ? { gatewayPortMap: { ...portMap } } : {});
  let resources = translate(snapshot, node, translateOptions());
  let listenerPort = node.role === 'router' ? gatewayListenerPort(resources, request.port, portMap) : request.port;
  if (node.role === 'router' && listenerPort === undefined && options.gatewayPortMap === undefined) {
    // A gateway run with other ports (`weft up --http-port 18080`): the URL's port is where the
    // scheme's Gateway server port (80 or 443) listens.
    portMap = { ...portMap, [request.scheme === 'https' ? 443 : 80]: request.port };
    resources = translate(snapshot, node, translateOptions());
    listenerPort = gatewayListenerPort(resources, request.port, portMap);
  }
  const scope = buildProxyScope(snapshot, node);
  const random = options.random ?? 0.5;
  const sim = simulate(resources, simRequest(request, node.role === 'router', listenerPort ?? request.port, random));

  const destinationHost = hostOf(snapshot, sim, request, node.namespace);
  const owners = node.role === 'sidecar' && !sim.origin ? virtualServicesForHost(scope, request.port, destinationHost).map((vs) => `${vs.namespace}/${vs.name}`) : [];
  // A match block's `port` is compared with the service port (sidecars) or the Gateway server port.
  const serverPort = Number(Object.entries(portMap).find(([, to]) => to === listenerPort)?.[0] ?? listenerPort ?? request.port);
  const notMatched = misses(snapshot, scope, resources, sim, request, random, owners, node.role === 'router' ? serverPort : request.port);
  const outbound = withGatewayAuthz(snapshot, node, sim, outboundOf(sim, notMatched));

  const described = clustersOf(sim).map((c) => describeDestination(snapshot, node, resources, c));
  const destinations = described.map((d) => withInbound(snapshot, d, request, outbound, source));

  const notes: ConfigNote[] = [];
  notes.push(...virtualServiceNotes(scope, request.port, destinationHost, sim.origin?.virtualService));
  for (const d of described) notes.push(...destinationNotes(snapshot, d));
  const involved = involvedResources(scope, sim.origin?.virtualService, notMatched, owners, described);
  // Unsupported fields get their own section (below), so the loader's WFT0100 warnings are not repeated as notes.
  if (options.analysis) notes.push(...analysisNotes(options.analysis.filter((m) => m.code !== UNSUPPORTED_FIELD), involved));
  const unsupportedFields = unsupportedFieldNotes(snapshot, involved);
  return { request, source, outbound, destinations, notes: uniqueNotes(notes), unsupportedFields, verdict: verdictOf(outbound, destinations) };
}

function simRequest(req: ExplainedRequest, gateway: boolean, listenerPort: number, random: number): SimRequest {
  const host = req.host.includes(':') ? `[${req.host}]` : req.host;
  const common = {
    method: req.method,
    path: req.path,
    authority: req.authority,
    headers: req.headers,
    scheme: req.scheme,
    random,
    ...(req.scheme === 'https' ? { sni: req.host } : {}),
  } as const;
  if (gateway) return { ...common, port: listenerPort };
  return { ...common, destination: `${host}:${req.port}` };
}

/** The gateway listener port for a URL port: the port itself when a listener has it, else its mapping; undefined: none. */
function gatewayListenerPort(resources: XdsResources, port: number, map: Readonly<Record<number, number>>): number | undefined {
  const has = (p: number) => resources.listeners.some((l) => l.address?.socketAddress?.portValue === p);
  if (has(port)) return port;
  const mapped = map[port];
  return mapped !== undefined && has(mapped) ? mapped : undefined;
}

/** The FQDN the request is for: the routed cluster's host, else the URL host resolved in the source's namespace. */
function hostOf(snapshot: MeshSnapshot, sim: SimResult, req: ExplainedRequest, namespace: string): string {
  if (sim.ok && (sim.action.kind === 'route' || sim.action.kind === 'tcp')) {
    const parsed = sim.action.clusters.map((c) => parseClusterName(c.name)).find((p) => p !== undefined);
    if (parsed) return parsed.host;
  }
  return snapshot.resolveHost(req.host, namespace);
}

function misses(
  snapshot: MeshSnapshot,
  scope: ProxyScope,
  resources: XdsResources,
  sim: SimResult,
  req: ExplainedRequest,
  random: number,
  owners: readonly string[],
  routePort: number,
): RuleMiss[] {
  if (!sim.routeConfig || !sim.virtualHost) return [];
  const config = resources.routes.find((r) => r.name === sim.routeConfig);
  const vh = config?.virtualHosts?.find((v) => v.name === sim.virtualHost);
  if (!vh) return [];
  const selectedIndex = sim.route?.index ?? (vh.routes ?? []).length;
  const gatewayNames = new Set(scope.node.role === 'router' ? scope.gateways.map((g) => g.ref) : [MESH_GATEWAY]);
  return ruleMisses({
    snapshot,
    node: scope.node,
    port: routePort,
    gatewayNames,
    virtualHost: vh,
    selectedIndex,
    owners,
    request: { authority: req.authority, method: req.method, path: sim.ok && sim.authz ? sim.authz.path : req.path, scheme: req.scheme, headers: req.headers, random },
  });
}

/** The outbound half of an explanation from a simulation: where it went and the policies in force (fault, retries, timeout, mirrors, headers). */
export function outboundOf(sim: SimResult, notMatched: readonly RuleMiss[]): ExplainedOutbound {
  const where = {
    ...(sim.listener ? { listener: sim.listener } : {}),
    ...(sim.filterChain ? { filterChain: sim.filterChain } : {}),
    ...(sim.routeConfig ? { routeConfig: sim.routeConfig } : {}),
    ...(sim.virtualHost ? { virtualHost: sim.virtualHost } : {}),
    ...(sim.route ? { route: sim.route } : {}),
    ...(sim.origin ? { virtualService: { name: sim.origin.virtualService, rule: sim.origin.rule, match: sim.origin.match } } : {}),
    notMatched,
  };
  if (!sim.ok) return { ...where, action: 'error', error: { code: sim.error, message: sim.message }, mirrors: [] };
  const fault = describeFault(sim.fault);
  const hash = describeHashPolicy(sim.hashPolicy);
  const added = describeHeaders(sim.requestHeadersToAdd);
  const common = {
    ...where,
    ...(fault ? { fault } : {}),
    mirrors: sim.mirrors ?? [],
    ...(sim.rewrite ? { rewrite: sim.rewrite } : {}),
    ...(added ? { headersAdded: added } : {}),
    ...(sim.requestHeadersToRemove?.length ? { headersRemoved: sim.requestHeadersToRemove } : {}),
    ...(hash ? { hashPolicy: hash } : {}),
  };
  switch (sim.action.kind) {
    case 'redirect':
      return { ...common, action: 'redirect', redirect: { status: sim.action.status, location: sim.action.location } };
    case 'direct-response':
      return { ...common, action: 'direct-response', directResponse: { status: sim.action.status, ...(sim.action.body !== undefined ? { body: sim.action.body } : {}) } };
    case 'tcp':
      return { ...common, action: 'tcp' };
    case 'route':
      return { ...common, action: 'route', timeoutMs: sim.timeoutMs ?? 0, retries: describeRetries(sim.retryPolicy, sim.timeoutMs ?? 0) };
  }
}

/** A gateway's own authorization (sidecars' outbound side has none). */
function withGatewayAuthz(snapshot: MeshSnapshot, node: ProxyNode, sim: SimResult, outbound: ExplainedOutbound): ExplainedOutbound {
  if (node.role !== 'router' || !sim.ok || !sim.authz) return outbound;
  return { ...outbound, authorization: describeAuthorization(snapshot, node, sim.authz) };
}

function clustersOf(sim: SimResult): readonly { name: string; weight: number; share: number }[] {
  if (!sim.ok) return [];
  return sim.action.kind === 'route' || sim.action.kind === 'tcp' ? sim.action.clusters : [];
}

/** Adds the inbound replay at the destination's first healthy endpoint that runs a sidecar. */
function withInbound(snapshot: MeshSnapshot, d: DescribedDestination, req: ExplainedRequest, outbound: ExplainedOutbound, source: Explanation['source']): ExplainedDestination {
  const order = d.lbEndpoints.map((e, i) => i).sort((a, b) => healthRank(d.lbEndpoints[a]!.healthStatus) - healthRank(d.lbEndpoints[b]!.healthStatus));
  const i = order.find((k) => isPod(d.workloads[k]));
  if (i === undefined) return d.destination;
  const endpoint = d.destination.endpoints[i]!;
  const workload = d.workloads[i]!;
  const inbound = explainInbound(snapshot, workload, endpoint.address, endpoint.port, {
    request: req,
    path: outbound.rewrite?.path ?? req.path,
    authority: outbound.rewrite?.authority ?? req.authority,
    source,
    mtls: d.destination.tls?.mode === 'ISTIO_MUTUAL',
    ...(d.destination.tls?.sni ? { sni: d.destination.tls.sni } : {}),
  });
  return { ...d.destination, inbound };
}

function healthRank(h: string | undefined): number {
  return h === 'HEALTHY' || h === undefined ? 0 : 1;
}

/** Notes about one destination: skipped policy rules at its workloads, empty subsets. */
function destinationNotes(snapshot: MeshSnapshot, d: DescribedDestination): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const seen = new Set<string>();
  for (const w of d.workloads) {
    if (!w || seen.has(`${w.namespace}|${JSON.stringify(w.labels)}`)) continue;
    seen.add(`${w.namespace}|${JSON.stringify(w.labels)}`);
    for (const n of securityHttpFilters(snapshot, w).notes) {
      notes.push({ level: 'Warning', code: EXPLAIN_NOTE_CODE, resource: `AuthorizationPolicy ${n.policy}`, message: n.message });
    }
  }
  const dest = d.destination;
  if (dest.host && dest.endpoints.length === 0 && !dest.note) {
    notes.push({ level: 'Warning', code: EXPLAIN_NOTE_CODE, message: `cluster ${dest.cluster} has no endpoints: requests to it fail with 503 UH (no healthy upstream)` });
  }
  return notes;
}

/** `Kind/namespace/name` of every resource on the request's path. */
function involvedResources(
  scope: ProxyScope,
  owner: string | undefined,
  notMatched: readonly RuleMiss[],
  owners: readonly string[],
  described: readonly DescribedDestination[],
): Set<string> {
  const out = new Set<string>();
  const vs = (n: string) => out.add(`VirtualService/${n}`);
  if (owner) vs(owner);
  owners.forEach(vs);
  for (const m of notMatched) if (m.virtualService) vs(m.virtualService);
  if (scope.sidecar) out.add(`Sidecar/${scope.sidecar.metadata.namespace}/${scope.sidecar.metadata.name}`);
  for (const g of scope.gateways) out.add(`Gateway/${g.ref}`);
  for (const d of described) {
    for (const r of (d.destination.destinationRule ?? '').split(' + ').filter(Boolean)) out.add(`DestinationRule/${r}`);
    for (const w of d.workloads) {
      if (!w) continue;
      for (const kind of ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication']) {
        for (const r of scope.snapshot.list(kind)) {
          if (r.metadata.namespace === w.namespace || r.metadata.namespace === scope.snapshot.meshConfig.rootNamespace) out.add(`${kind}/${r.metadata.namespace}/${r.metadata.name}`);
        }
      }
    }
    const host = d.destination.host;
    for (const s of host ? scope.snapshot.registry.servicesByHost(host) : []) out.add(`${s.origin.kind}/${s.origin.namespace}/${s.origin.name}`);
  }
  return out;
}
