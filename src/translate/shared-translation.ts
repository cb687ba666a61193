/**
 * Translation shared across proxies, as istiod shares a SidecarScope's outbound config: within one
 * snapshot, sidecars that see the same outbound world (same namespace and IP family, and — only when
 * some config selects workloads by label — the same labels) get the very same outbound listener,
 * route, cluster and endpoint objects; only the inbound side (virtualInbound and `inbound|…`
 * clusters) is built per proxy. Sharing objects makes the ADS encoder's identity cache hit, so a
 * change is translated and encoded once per scope instead of once per proxy. The result equals
 * `translate()` for every proxy (tested).
 *
 * With a {@link TranslationCache} (which outlives snapshots), unchanged clusters and load
 * assignments are not rebuilt at all (a scope's whole lists are remembered under a key of their
 * inputs), a VirtualService's routes are rebuilt only when it or what it resolves against changed
 * (cached-routes.ts), every listener, route, virtual host and cluster whose content did not change
 * keeps its object identity from the previous snapshot, and so do the lists: a proxy whose
 * resources did not change gets the very same arrays (see translation-cache.ts).
 */
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../envoy/types.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { buildEndpoints, buildInboundClusters, buildOutboundClusters } from './cluster/index.js';
import { buildSidecarInboundListener, VIRTUAL_INBOUND } from './listener/sidecar-inbound-listener.js';
import { buildSidecarOutboundListeners } from './listener/sidecar-outbound-listeners.js';
import { buildProxyScope, type ProxyScope } from './proxy-scope.js';
import { buildSidecarOutboundRoutes } from './route/sidecar-outbound-routes.js';
import { applyTelemetry } from './telemetry/apply-telemetry.js';
import { localityCacheKey } from './cluster/locality-lb.js';
import { cachedEndpoints, cachedOutboundClusters } from './cached-clusters.js';
import { digest, type TranslationCache } from './translation-cache.js';
import { internRouteConfigs, routeBuildRecords, sidecarRouteScopeKey, virtualServiceRoutesMemo } from './cached-routes.js';
import { hashPolicyLookup, translate, type TranslateOptions, type XdsResources } from './translate.js';

interface OutboundPart {
  readonly scope: ProxyScope;
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  /** Names of `clusters` (inbound clusters of the same name are left out). */
  readonly clusterNames: ReadonlySet<string | undefined>;
}

/**
 * Per-snapshot cache of shared outbound translations. Create one per snapshot; never reuse across
 * snapshots. `cache`, when given, carries built objects over from earlier snapshots.
 */
export class SharedTranslator {
  private readonly outbound = new Map<string, OutboundPart>();
  private readonly labelSensitive: boolean;
  private readonly localitySpecs: readonly unknown[];

  constructor(
    readonly snapshot: MeshSnapshot,
    private readonly options: TranslateOptions = {},
    private readonly cache?: TranslationCache,
  ) {
    this.labelSensitive = selectsByLabels(snapshot);
    this.localitySpecs = [...snapshot.list('DestinationRule').map((r) => r.spec), snapshot.meshConfig.localityLbSetting];
  }

  /** The proxy's resources; equal to `translate(snapshot, node, options)`. */
  translate(node: ProxyNode): XdsResources {
    this.cache?.begin(this.snapshot);
    if (node.role !== 'sidecar') return this.interned(translate(this.snapshot, node, this.options));
    const key = this.keyOf(node);
    let part = this.outbound.get(key);
    if (!part) {
      part = this.buildOutbound(node);
      this.outbound.set(key, part);
    }
    // The shared scope with this proxy's identity, for its inbound side only.
    const scope: ProxyScope = { ...part.scope, node };
    const buildInbound = () => ({
      listeners: this.internAll('lds', applyTelemetry([buildSidecarInboundListener(scope)], this.snapshot, node)),
      clusters: this.internAll('cds', buildInboundClusters(this.snapshot, node)),
    });
    // The inbound side reads the node and the snapshot, never its VirtualServices (nor the shared
    // outbound scope): with a cache it is remembered under the node and every other input.
    const inbound = this.cache ? this.cache.memo(`inbound|${this.inboundInputsKey(this.cache)}|${JSON.stringify(node)}`, buildInbound) : buildInbound();
    const inboundListener = inbound.listeners;
    const inboundClusters = inbound.clusters.filter((c) => !part.clusterNames.has(c.name));
    return {
      listeners: this.merged('lds', part.listeners, inboundListener),
      routes: part.routes,
      clusters: this.merged('cds', part.clusters, inboundClusters),
      endpoints: part.endpoints,
    };
  }

  /**
   * `byName([...shared, ...own])`; with a cache, remembered under the identities of the shared
   * list and of the proxy's own (interned) objects, so proxies and snapshots with the same parts
   * get the same array without sorting thousands of names again.
   */
  private merged<T extends { readonly name?: string }>(kind: string, shared: readonly T[], own: readonly T[]): readonly T[] {
    const cache = this.cache;
    if (!cache) return byName([...shared, ...own]);
    const key = `merged|${kind}|${cache.idOf(shared)}|${own.map((o) => cache.idOf(o)).join(',')}`;
    return cache.memo(key, () => byName([...shared, ...own]));
  }

  private buildOutbound(node: ProxyNode): OutboundPart {
    const scope = buildProxyScope(this.snapshot, node);
    const listeners = this.internAll('lds', applyTelemetry(buildSidecarOutboundListeners(scope), this.snapshot, node).filter((l) => l.name !== VIRTUAL_INBOUND.name));
    const cache = this.cache;
    if (!cache) {
      const routes = byName(buildSidecarOutboundRoutes(scope, { hashPolicy: hashPolicyLookup(scope) }));
      const clusters = buildOutboundClusters(this.snapshot, node, scope.clusterServices);
      const endpoints = sortAssignments(buildEndpoints(this.snapshot, node, clusters));
      return { scope, listeners, routes, clusters, endpoints, clusterNames: new Set(clusters.map((c) => c.name)) };
    }
    const key = this.keyOf(node);
    const labels = this.labelSensitive ? labelsKey(node) : '';
    const routeScopeKey = sidecarRouteScopeKey(cache, scope, labels);
    const virtualServiceRoutes = virtualServiceRoutesMemo(cache, routeScopeKey);
    const records = routeBuildRecords(cache, routeScopeKey, scope.outboundTrafficPolicy);
    const built = buildSidecarOutboundRoutes(scope, { hashPolicy: hashPolicyLookup(scope), virtualServiceRoutes, previousBuild: records.previousBuild, recordBuild: records.recordBuild });
    const routes = internRouteConfigs(cache, byName(built));
    records.interned(routes);
    // A scope's whole cluster list, and its load assignments, depend on: the proxy's role, IP family,
    // namespace (and labels when config selects by them), the mesh-wide inputs, every service with
    // its endpoints, the DestinationRules, and which services the scope builds clusters for.
    const env = `${node.role}|${key}|${cache.globalKey()}|${cache.registryKey()}|${cache.kindKey('DestinationRule')}`;
    const clusters = cache.memo(`scope-cds|${env}|${digest(scope.clusterServices.map((s) => cache.serviceKey(s)).join(','))}`, () =>
      cachedOutboundClusters(cache, this.snapshot, node, scope.clusterServices),
    );
    const endpoints = cache.memo(`scope-eds|${env}|${cache.idOf(clusters)}`, () => sortAssignments(cachedEndpoints(cache, this.snapshot, node, clusters)));
    // Lists whose members are unchanged keep their identity across snapshots (see merged()).
    const shared = {
      listeners: cache.internList(`out|${key}|lds`, listeners),
      routes: cache.internList(`out|${key}|rds`, routes),
      clusters: cache.internList(`out|${key}|cds`, clusters),
      endpoints: cache.internList(`out|${key}|eds`, endpoints),
    };
    return { scope, ...shared, clusterNames: new Set(clusters.map((c) => c.name)) };
  }

  /** Each object replaced by an earlier one of equal content, when there is a cache. */
  private internAll<T extends { readonly name?: string; readonly clusterName?: string }>(kind: string, list: T[]): T[] {
    const cache = this.cache;
    return cache ? list.map((r) => cache.intern(kind, r.name ?? r.clusterName ?? '', r)) : list;
  }

  private interned(out: XdsResources): XdsResources {
    if (!this.cache) return out;
    return {
      listeners: this.internAll('lds', [...out.listeners]),
      routes: this.internAll('rds', [...out.routes]),
      clusters: this.internAll('cds', [...out.clusters]),
      endpoints: this.internAll('eds', [...out.endpoints]),
    };
  }

  private inboundKey: string | undefined;

  /**
   * Key of every input of a sidecar's inbound side besides the node: the registry (by identity: a
   * registry rebuilt for a health change is another object), the mesh-wide inputs, the resources
   * of every kind except VirtualService (by identity), and the translate options.
   */
  private inboundInputsKey(cache: TranslationCache): string {
    if (this.inboundKey !== undefined) return this.inboundKey;
    const kinds = [...new Set(this.snapshot.resources.map((r) => r.kind))].filter((k) => k !== 'VirtualService').sort();
    const parts = [cache.idOf(this.snapshot.registry), cache.globalKey(), JSON.stringify(this.options), ...kinds.map((k) => `${k}:${cache.kindKey(k)}`)];
    this.inboundKey = digest(parts.join('|'));
    return this.inboundKey;
  }

  private keyOf(node: ProxyNode): string {
    const family = node.ip.includes(':') ? '6' : '4';
    const labels = this.labelSensitive ? labelsKey(node) : '';
    // Load assignments carry priorities relative to the proxy's locality (and labels, for failoverPriority).
    return `${node.namespace}|${family}|${labels}|${localityCacheKey(node, this.localitySpecs)}`;
  }
}

/**
 * True when some configuration depends on a sidecar's labels for its outbound side (VirtualService
 * `sourceLabels`, DestinationRule/Sidecar `workloadSelector`, Telemetry `selector`); then only
 * proxies with equal labels share.
 */
function selectsByLabels(snapshot: MeshSnapshot): boolean {
  for (const r of snapshot.list<{ http?: { match?: { sourceLabels?: object }[] }[]; tcp?: { match?: { sourceLabels?: object }[] }[]; tls?: { match?: { sourceLabels?: object }[] }[] }>('VirtualService')) {
    for (const rules of [r.spec.http, r.spec.tcp, r.spec.tls]) {
      if (rules?.some((rule) => rule.match?.some((m) => m.sourceLabels !== undefined))) return true;
    }
  }
  if (snapshot.list<{ workloadSelector?: object }>('DestinationRule').some((r) => r.spec.workloadSelector)) return true;
  if (snapshot.list<{ workloadSelector?: object }>('Sidecar').some((r) => r.spec.workloadSelector)) return true;
  if (snapshot.list<{ selector?: object; targetRef?: object; targetRefs?: object }>('Telemetry').some((r) => r.spec.selector || r.spec.targetRef || r.spec.targetRefs)) return true;
  return false;
}

function labelsKey(node: ProxyNode): string {
  return JSON.stringify(Object.entries(node.labels).sort());
}

function sortAssignments(list: readonly ClusterLoadAssignment[]): ClusterLoadAssignment[] {
  return [...list].sort((a, b) => cmp(a.clusterName ?? '', b.clusterName ?? ''));
}

function byName<T extends { readonly name?: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => cmp(a.name ?? '', b.name ?? ''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
