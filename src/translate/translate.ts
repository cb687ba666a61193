/**
 * The whole translation for one proxy: model snapshot → Envoy xDS resources (LDS, RDS, CDS, EDS), as
 * istiod's ConfigGenerator does per push. Pure and deterministic: the same snapshot, proxy and
 * options give byte-identical JSON, every list sorted by name.
 */
import type { Cluster, ClusterLoadAssignment, HashPolicy, Listener, RouteConfiguration } from '../envoy/types.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { buildClusters, buildEndpoints, destinationRuleFor, effectiveTrafficPolicy, hashPolicyFor } from './cluster/index.js';
import type { ConsolidatedDestinationRule } from './cluster/destination-rule-index.js';
import { collectGatewayServers, type GatewayPortMap } from './gateway-servers.js';
import { buildGatewayListeners } from './listener/gateway-listeners.js';
import { buildSidecarInboundListener } from './listener/sidecar-inbound-listener.js';
import { buildSidecarOutboundListeners } from './listener/sidecar-outbound-listeners.js';
import { buildProxyScope, type ProxyScope } from './proxy-scope.js';
import { buildGatewayRoutes } from './route/gateway-routes.js';
import type { HashPolicyLookup } from './route/route-context.js';
import { buildSidecarOutboundRoutes } from './route/sidecar-outbound-routes.js';
import { applyTelemetry } from './telemetry/apply-telemetry.js';

/** The xDS resources of one proxy, each list sorted by name. */
export interface XdsResources {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
}

/** Translation options. */
export interface TranslateOptions {
  /**
   * Gateway server port → the port the gateway proxy listens on (as Istio's ingress Service maps
   * port 80 to targetPort 8080). Default: identity. `weft up` passes `{80: 8080, 443: 8443}`.
   */
  readonly gatewayPortMap?: GatewayPortMap;
}

/** Translates the snapshot for one proxy. */
export function translate(snapshot: MeshSnapshot, node: ProxyNode, options: TranslateOptions = {}): XdsResources {
  const scope = buildProxyScope(snapshot, node);
  const hashPolicy = hashPolicyLookup(scope);
  let listeners: Listener[];
  let routes: RouteConfiguration[];
  if (node.role === 'router') {
    const servers = collectGatewayServers(scope, options.gatewayPortMap);
    listeners = buildGatewayListeners(scope, servers);
    routes = buildGatewayRoutes(scope, servers, { hashPolicy });
  } else {
    listeners = [...buildSidecarOutboundListeners(scope), buildSidecarInboundListener(scope)];
    routes = buildSidecarOutboundRoutes(scope, { hashPolicy });
  }
  listeners = applyTelemetry(listeners, snapshot, node);
  const clusters = buildClusters(snapshot, node, scope.clusterServices);
  const endpoints = buildEndpoints(snapshot, node, clusters);
  return {
    listeners: byName(listeners),
    routes: byName(routes),
    clusters: byName(clusters),
    endpoints: [...endpoints].sort((a, b) => cmp(a.clusterName ?? '', b.clusterName ?? '')),
  };
}

/** The consistent-hash policy of a destination, from the DestinationRule that applies to it. */
export function hashPolicyLookup(scope: ProxyScope): HashPolicyLookup {
  const cache = new Map<string, HashPolicy | undefined>();
  return (host, subset, port) => {
    const key = `${host}|${subset ?? ''}|${port}`;
    if (cache.has(key)) return cache.get(key);
    const svc = scope.lookupService(host);
    const rule = svc ? destinationRuleFor(scope.snapshot, scope.node, svc) : undefined;
    const out = rule ? ruleHashPolicy(rule, subset, port) : undefined;
    cache.set(key, out);
    return out;
  };
}

/** Hash policies per consolidated rule (immutable, per snapshot), subset and port. */
const ruleHashPolicies = new WeakMap<ConsolidatedDestinationRule, Map<string, HashPolicy | undefined>>();

function ruleHashPolicy(rule: ConsolidatedDestinationRule, subset: string | undefined, port: number): HashPolicy | undefined {
  let memo = ruleHashPolicies.get(rule);
  if (!memo) ruleHashPolicies.set(rule, (memo = new Map()));
  const key = `${subset ?? ''}|${port}`;
  if (memo.has(key)) return memo.get(key);
  const sub = subset ? rule.spec.subsets?.find((s) => s.name === subset) : undefined;
  const out = hashPolicyFor(effectiveTrafficPolicy(rule.spec.trafficPolicy, port, sub))[0];
  memo.set(key, out);
  return out;
}

function byName<T extends { readonly name?: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => cmp(a.name ?? '', b.name ?? ''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
