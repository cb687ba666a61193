/**
 * What one proxy sees, as istiod's SidecarScope and PushContext compute it: the services visible
 * from its namespace (exportTo) narrowed by the Sidecar resource that applies to it, the
 * VirtualServices bound to it (`mesh` for sidecars, the Gateways selecting it for routers), and the
 * outbound traffic policy. Pure; computed once per (snapshot, proxy).
 *
 * Several VirtualServices for one host: for sidecars istiod does not merge them: the oldest one
 * (Istio's conflict order: creationTimestamp, then namespace/name) owns the host and the others are
 * ignored for that host (istio/istio#36621). For gateways istiod merges the rules of every
 * VirtualService bound to the gateway in that same order. `virtualServicesForPort` returns the list
 * in that order and the route builders apply the rule.
 */
import type { Resource } from '../config/resource.js';
import type { SidecarSpec } from '../config/schema/sidecar.js';
import type { GatewaySpec } from '../config/schema/gateway.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { hostMatches, hostsIntersect, isVisible, splitNamespacedHost } from '../config/hosts.js';
import { selectorIsEmpty, selectorMatches } from '../config/labels.js';
import { parseProtocol } from '../registry/protocol.js';
import type { Protocol, Registry, Service } from '../registry/types.js';
import { outboundClusterName } from './cluster/cluster-names.js';
import { indexVirtualServices, MESH_GATEWAY, type IndexedVirtualService } from './virtual-services.js';

/** One host entry of a Sidecar egress listener: namespace `*` or a concrete name, host possibly wildcard. */
export interface EgressHost {
  readonly namespace: string;
  readonly host: string;
}

/** One egress listener of the applying Sidecar (or the implicit `*` / `*` listener). */
export interface EgressScope {
  /** Port the listener covers; undefined = every port not claimed by another egress listener. */
  readonly port?: number;
  /** `port.protocol` when it names a known protocol: the listener's protocol (istiod `listenPort.Protocol`). */
  readonly protocol?: Protocol;
  readonly hosts: readonly EgressHost[];
}

/** A Gateway that selects this (router) proxy. */
export interface SelectedGateway {
  readonly resource: Resource<GatewaySpec>;
  /** `namespace/name`, as VirtualServices reference it. */
  readonly ref: string;
}

/** Outbound traffic policy: pass unknown destinations through, or block them. */
export type OutboundTrafficMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** What one proxy sees. */
export interface ProxyScope {
  readonly snapshot: MeshSnapshot;
  readonly node: ProxyNode;
  /** The Sidecar resource that applies (sidecars only). */
  readonly sidecar?: Resource<SidecarSpec>;
  readonly egress: readonly EgressScope[];
  /** Services the proxy may call (after Sidecar narrowing), one per hostname, sorted by hostname. */
  readonly services: readonly Service[];
  /**
   * Services clusters are built for: `services` plus destinations of in-scope VirtualServices that
   * are visible to the proxy (istiod adds those so routes never point at a missing cluster).
   */
  readonly clusterServices: readonly Service[];
  /** VirtualServices bound to this proxy (mesh for sidecars, its Gateways for routers), oldest first. */
  readonly virtualServices: readonly IndexedVirtualService[];
  /** Gateways selecting this proxy (routers only), in conflict order. */
  readonly gateways: readonly SelectedGateway[];
  readonly outboundTrafficPolicy: OutboundTrafficMode;
  /**
   * Where unknown destinations go under ALLOW_ANY when the Sidecar names an `egressProxy`: that
   * destination's outbound cluster instead of PassthroughCluster (istiod listener.go
   * buildOutboundCatchAllNetworkFiltersOnly and the `allow_any` route, via GetDestinationCluster).
   */
  readonly egressProxyCluster?: string;
  /** Services visible on one outbound port (the egress listener for that port decides). */
  servicesForPort(port: number): readonly Service[];
  /** Mesh-bound VirtualServices whose hosts are in scope of the egress listener for `port`. */
  virtualServicesForPort(port: number): readonly IndexedVirtualService[];
  /** VirtualServices bound to one gateway (`ns/name`), visible to the proxy, oldest first. */
  virtualServicesForGateway(ref: string): readonly IndexedVirtualService[];
  /** A visible service by FQDN (a proxy-namespace entry preferred, as istiod does). */
  lookupService(hostname: string): Service | undefined;
}

/** Builds the scope of one proxy. */
export function buildProxyScope(snapshot: MeshSnapshot, node: ProxyNode): ProxyScope {
  const ns = node.namespace;
  const visible = visibleServices(snapshot, ns);
  const byHost = new Map(visible.map((s) => [s.hostname, s]));
  const allVs = indexVirtualServices(snapshot).filter((vs) => vs.namespace === ns || isVisible(vs.exportTo, ns));
  const sidecar = node.role === 'sidecar' ? findSidecar(snapshot, node) : undefined;
  const egress = sidecar ? egressOf(sidecar, ns) : [{ hosts: [{ namespace: '*', host: '*' }] }];
  const gateways = node.role === 'router' ? selectGateways(snapshot, node) : [];

  const listenerFor = (port: number): EgressScope | undefined =>
    egress.find((e) => e.port === port) ?? egress.find((e) => e.port === undefined);
  const inScope = (e: EgressScope | undefined, svc: Service) =>
    !!e && e.hosts.some((h) => (h.namespace === '*' || h.namespace === svc.namespace) && hostMatches(h.host, svc.hostname));
  const services =
    node.role === 'router' ? visible : visible.filter((s) => egress.some((e) => inScope(e, s)));

  const meshVs = allVs.filter((vs) => vs.gateways.includes(MESH_GATEWAY));
  const vsInScope = (e: EgressScope | undefined, vs: IndexedVirtualService) =>
    !!e && e.hosts.some((h) => (h.namespace === '*' || h.namespace === vs.namespace) && vs.hosts.some((vh) => hostsIntersect(vh, h.host)));
  const gatewayRefs = new Set(gateways.map((g) => g.ref));
  const virtualServices =
    node.role === 'router'
      ? allVs.filter((vs) => vs.gateways.some((g) => gatewayRefs.has(g)))
      : meshVs.filter((vs) => egress.some((e) => vsInScope(e, vs)));

  const clusterHosts = new Map(services.map((s) => [s.hostname, s]));
  for (const vs of virtualServices) {
    for (const host of resolvedDestinationHosts(snapshot, vs)) {
      const svc = byHost.get(host);
      if (svc && !clusterHosts.has(svc.hostname)) clusterHosts.set(svc.hostname, svc);
    }
  }
  const mode = sidecar?.spec.outboundTrafficPolicy?.mode ?? snapshot.meshConfig.outboundTrafficPolicy.mode;
  // The egress proxy's service gets a cluster even when the Sidecar's egress hosts leave it out,
  // so the catch-all never points at a missing cluster.
  const egressProxy = node.role === 'router' || mode === 'REGISTRY_ONLY' ? undefined : sidecar?.spec.outboundTrafficPolicy?.egressProxy;
  const egressProxySvc = egressProxy ? byHost.get(egressProxy.host) : undefined;
  if (egressProxySvc && !clusterHosts.has(egressProxySvc.hostname)) clusterHosts.set(egressProxySvc.hostname, egressProxySvc);
  const egressProxyCluster = egressProxy?.port?.number ? outboundClusterName(egressProxy.port.number, egressProxy.subset ?? '', egressProxy.host) : undefined;
  const clusterServices = [...clusterHosts.values()].sort((a, b) => cmp(a.hostname, b.hostname));

  return Object.freeze({
    snapshot,
    node,
    sidecar,
    egress,
    services,
    clusterServices,
    virtualServices,
    gateways,
    outboundTrafficPolicy: mode === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY',
    ...(egressProxyCluster ? { egressProxyCluster } : {}),
    servicesForPort: (port: number) => {
      if (node.role === 'router') return services.filter((s) => s.ports.some((p) => p.port === port));
      const e = listenerFor(port);
      return services.filter((s) => inScope(e, s) && s.ports.some((p) => p.port === port));
    },
    virtualServicesForPort: (port: number) => {
      const e = listenerFor(port);
      return virtualServices.filter((vs) => node.role === 'router' || vsInScope(e, vs));
    },
    virtualServicesForGateway: (ref: string) => virtualServices.filter((vs) => vs.gateways.includes(ref)),
    lookupService: (hostname: string) => byHost.get(hostname),
  } satisfies ProxyScope);
}

/** Every host a VirtualService routes or mirrors to (as written; resolve in its namespace). */
export function destinationHosts(vs: IndexedVirtualService): string[] {
  const out: string[] = [];
  for (const h of vs.spec.http ?? []) {
    for (const d of h.route ?? []) out.push(d.destination.host);
    if (h.mirror) out.push(h.mirror.host);
    for (const m of h.mirrors ?? []) if (m.destination) out.push(m.destination.host);
  }
  for (const t of vs.spec.tcp ?? []) for (const d of t.route ?? []) out.push(d.destination.host);
  for (const t of vs.spec.tls ?? []) for (const d of t.route ?? []) out.push(d.destination.host);
  return out;
}

const resolvedHosts = new WeakMap<IndexedVirtualService, readonly string[]>();

/** `destinationHosts(vs)` resolved in the VirtualService's namespace; once per indexed VirtualService (per snapshot). */
function resolvedDestinationHosts(snapshot: MeshSnapshot, vs: IndexedVirtualService): readonly string[] {
  let hosts = resolvedHosts.get(vs);
  if (!hosts) {
    hosts = destinationHosts(vs).map((h) => snapshot.resolveHost(h, vs.namespace));
    resolvedHosts.set(vs, hosts);
  }
  return hosts;
}

/**
 * Services visible from `namespace`, one per hostname: when several registries define a hostname,
 * the one in the proxy's namespace wins, else the oldest (istiod's ServiceForHostname).
 */
function visibleServices(snapshot: MeshSnapshot, namespace: string): readonly Service[] {
  // Depends on the registry only: remembered per registry (reused across snapshots) and namespace.
  let byNamespace = visibleMemo.get(snapshot.registry);
  if (!byNamespace) visibleMemo.set(snapshot.registry, (byNamespace = new Map()));
  let found = byNamespace.get(namespace);
  if (!found) {
    found = Object.freeze(computeVisibleServices(snapshot, namespace));
    byNamespace.set(namespace, found);
  }
  return found;
}

const visibleMemo = new WeakMap<Registry, Map<string, readonly Service[]>>();

function computeVisibleServices(snapshot: MeshSnapshot, namespace: string): Service[] {
  const chosen = new Map<string, Service>();
  for (const svc of snapshot.registry.services) {
    if (svc.namespace !== namespace && !isVisible(svc.exportTo, namespace)) continue;
    const prev = chosen.get(svc.hostname);
    if (!prev || (prev.namespace !== namespace && (svc.namespace === namespace || older(svc, prev)))) chosen.set(svc.hostname, svc);
  }
  return [...chosen.values()].sort((a, b) => cmp(a.hostname, b.hostname));
}

function older(a: Service, b: Service): boolean {
  const ta = a.creationTimestamp;
  const tb = b.creationTimestamp;
  if (ta && tb && ta !== tb) return ta < tb;
  if (ta && !tb) return true;
  return false;
}

/**
 * The Sidecar that applies to a workload: one in its namespace whose workloadSelector matches, else
 * the namespace's Sidecar without selector, else the root namespace's Sidecar without selector.
 * Ties go to the oldest (snapshot order).
 */
export function findSidecar(snapshot: MeshSnapshot, node: ProxyNode): Resource<SidecarSpec> | undefined {
  const all = snapshot.list<SidecarSpec>('Sidecar');
  const hasSelector = (r: Resource<SidecarSpec>) => !selectorIsEmpty(r.spec.workloadSelector?.labels);
  return (
    all.find((r) => r.metadata.namespace === node.namespace && hasSelector(r) && selectorMatches(r.spec.workloadSelector?.labels, node.labels)) ??
    all.find((r) => r.metadata.namespace === node.namespace && !hasSelector(r)) ??
    all.find((r) => r.metadata.namespace === snapshot.meshConfig.rootNamespace && !hasSelector(r))
  );
}

/** Parses a Sidecar's egress listeners; `.` means the proxy's namespace, `~` imports nothing. */
function egressOf(sidecar: Resource<SidecarSpec>, proxyNamespace: string): EgressScope[] {
  const egress = sidecar.spec.egress;
  if (!egress || egress.length === 0) return [{ hosts: [{ namespace: '*', host: '*' }] }];
  return egress.map((e) => ({
    port: e.port?.number,
    ...(parseProtocol(e.port?.protocol) ? { protocol: parseProtocol(e.port?.protocol)! } : {}),
    hosts: (e.hosts ?? []).flatMap((entry) => {
      const { namespace, host } = splitNamespacedHost(entry);
      if (namespace === '~') return [];
      return [{ namespace: namespace === '.' ? proxyNamespace : namespace, host }];
    }),
  }));
}

/**
 * Gateways whose `selector` matches the router's labels, in any namespace (Istio's default,
 * PILOT_SCOPE_GATEWAY_TO_NAMESPACE off); a Gateway without selector selects every gateway proxy.
 */
function selectGateways(snapshot: MeshSnapshot, node: ProxyNode): SelectedGateway[] {
  return snapshot
    .list<GatewaySpec>('Gateway')
    .filter((r) => selectorMatches(r.spec.selector, node.labels))
    .map((r) => ({ resource: r, ref: `${r.metadata.namespace}/${r.metadata.name}` }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
