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
 * assignments are not rebuilt at all, and every listener, route and cluster whose content did not
 * change keeps its object identity from the previous snapshot (see translation-cache.ts).
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
import { cachedEndpoints, cachedOutboundClusters } from './cached-clusters.js';
import type { TranslationCache } from './translation-cache.js';
import { hashPolicyLookup, translate, type TranslateOptions, type XdsResources } from './translate.js';

interface OutboundPart {
  readonly scope: ProxyScope;
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
}

/**
 * Per-snapshot cache of shared outbound translations. Create one per snapshot; never reuse across
 * snapshots. `cache`, when given, carries built objects over from earlier snapshots.
 */
export class SharedTranslator {
  private readonly outbound = new Map<string, OutboundPart>();
  private readonly labelSensitive: boolean;

  constructor(
    readonly snapshot: MeshSnapshot,
    private readonly options: TranslateOptions = {},
    private readonly cache?: TranslationCache,
  ) {
    this.labelSensitive = selectsByLabels(snapshot);
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
    const inboundListener = this.internAll('lds', applyTelemetry([buildSidecarInboundListener(scope)], this.snapshot, node));
    const outboundNames = new Set(part.clusters.map((c) => c.name));
    const inboundClusters = this.internAll('cds', buildInboundClusters(this.snapshot, node).filter((c) => !outboundNames.has(c.name)));
    return {
      listeners: byName([...part.listeners, ...inboundListener]),
      routes: part.routes,
      clusters: byName([...part.clusters, ...inboundClusters]),
      endpoints: part.endpoints,
    };
  }

  private buildOutbound(node: ProxyNode): OutboundPart {
    const scope = buildProxyScope(this.snapshot, node);
    const listeners = this.internAll('lds', applyTelemetry(buildSidecarOutboundListeners(scope), this.snapshot, node).filter((l) => l.name !== VIRTUAL_INBOUND.name));
    const routes = this.internAll('rds', byName(buildSidecarOutboundRoutes(scope, { hashPolicy: hashPolicyLookup(scope) })));
    const cache = this.cache;
    const clusters = cache ? cachedOutboundClusters(cache, this.snapshot, node, scope.clusterServices) : buildOutboundClusters(this.snapshot, node, scope.clusterServices);
    const built = cache ? cachedEndpoints(cache, this.snapshot, node, clusters) : buildEndpoints(this.snapshot, node, clusters);
    const endpoints = [...built].sort((a, b) => cmp(a.clusterName ?? '', b.clusterName ?? ''));
    return { scope, listeners, routes, clusters, endpoints };
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

  private keyOf(node: ProxyNode): string {
    const family = node.ip.includes(':') ? '6' : '4';
    const labels = this.labelSensitive ? JSON.stringify(Object.entries(node.labels).sort()) : '';
    return `${node.namespace}|${family}|${labels}`;
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

function byName<T extends { readonly name?: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => cmp(a.name ?? '', b.name ?? ''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
