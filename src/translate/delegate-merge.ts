/**
 * VirtualService delegation, as istiod merges it before building routes (pilot/pkg/model/
 * virtualservice_controller.go mergeVirtualServices, virtualservice.go MergeHTTPRoutes /
 * mergeHTTPRoute / mergeHTTPMatchRequests / hasConflict):
 *
 * - A root VirtualService (one with hosts) whose `http` rule names `delegate: {name, namespace}`
 *   hands that rule to the VirtualService of that name and namespace (default: the root's) that
 *   has no hosts. A missing delegate, or one not exported to the root's namespace, drops only that
 *   rule (istiod logs a warning). Delegates are never used on their own (they have no hosts).
 * - Each delegate rule is merged with the root rule: every delegate match block must fall within
 *   some root match block (uri/scheme/method/authority/headers/withoutHeaders/queryParams not
 *   conflicting, same ignoreUriCase, ports, sourceNamespace, sourceLabels and gateways a subset);
 *   the merged blocks combine both (the delegate's fields win, maps are unioned). A delegate rule
 *   that fits no root block is dropped. Unset delegate fields (rewrite, directResponse, timeout,
 *   retries, fault, mirror(s), mirrorPercentage, corsPolicy, headers) are inherited from the root
 *   rule; names join as `root-delegate`.
 * - Short destination hosts of a delegate are resolved in the delegate's namespace, gateway names
 *   in match blocks in their own VirtualService's namespace (ResolveVirtualServiceShortnames runs
 *   on each before the merge). A delegate cannot delegate again (validation refuses it; a `delegate`
 *   left in a delegate rule makes that rule route nowhere, as the translation skips such rules).
 */
import type { Resource } from '../config/resource.js';
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualServiceSpec } from '../config/schema/virtual-service.js';
import { isVisible, parseExportTo } from '../config/hosts.js';

/** How the merge resolves names (the snapshot's host resolution, istiod's gateway-name resolution). */
export interface DelegateResolver {
  resolveHost(host: string, namespace: string): string;
  normalizeGateway(ref: string, namespace: string): string;
}

/** True when a VirtualService delegates at least one of its http rules (istiod's isRootVs). */
export function isRootVirtualService(spec: VirtualServiceSpec): boolean {
  return (spec.hosts ?? []).length > 0 && (spec.http ?? []).some((r) => r.delegate !== undefined);
}

/**
 * The root's spec with every delegating rule replaced by the merged rules of its delegate. `all`
 * is every VirtualService of the snapshot; the result is a fresh object (inputs are not mutated).
 */
export function mergeDelegates(root: Resource<VirtualServiceSpec>, all: readonly Resource<VirtualServiceSpec>[], r: DelegateResolver): VirtualServiceSpec {
  const rootNs = root.metadata.namespace;
  const http: HTTPRoute[] = [];
  for (const rule of root.spec.http ?? []) {
    if (!rule.delegate) {
      http.push(rule);
      continue;
    }
    const ns = rule.delegate.namespace || rootNs;
    const target = all.find((v) => v.metadata.name === rule.delegate!.name && v.metadata.namespace === ns && (v.spec.hosts ?? []).length === 0);
    if (!target || !isVisible(parseExportTo(target.spec.exportTo, ns), rootNs)) continue;
    const rootRule = resolveRule(rule, rootNs, r, false);
    for (const sub of target.spec.http ?? []) {
      const merged = mergeHTTPRoute(rootRule, resolveRule(sub, ns, r, true));
      if (merged) http.push(merged);
    }
  }
  return { ...root.spec, http };
}

/** A deep copy of a rule with match gateways (and, for delegates, destination hosts) resolved. */
function resolveRule(rule: HTTPRoute, ns: string, r: DelegateResolver, hosts: boolean): HTTPRoute {
  const out = structuredClone(rule) as { -readonly [K in keyof HTTPRoute]: HTTPRoute[K] };
  out.match?.forEach((m) => {
    if (m.gateways) (m as { gateways?: string[] }).gateways = m.gateways.map((g) => r.normalizeGateway(g, ns));
  });
  if (hosts) {
    for (const d of out.route ?? []) if (d.destination?.host) (d.destination as { host: string }).host = r.resolveHost(d.destination.host, ns);
    if (out.mirror?.host) (out.mirror as { host: string }).host = r.resolveHost(out.mirror.host, ns);
    for (const m of out.mirrors ?? []) if (m.destination?.host) (m.destination as { host: string }).host = r.resolveHost(m.destination.host, ns);
  }
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** istiod's mergeHTTPRoute: undefined when the delegate rule conflicts with the root's matches. */
export function mergeHTTPRoute(root: HTTPRoute, delegate: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match ?? [], delegate.match ?? []);
  if (match === undefined) return undefined;
  const out: Mutable<HTTPRoute> = { ...delegate };
  if (match.length > 0) out.match = match;
  else delete out.match;
  const name = !delegate.name ? root.name : root.name ? `${root.name}-${delegate.name}` : delegate.name;
  if (name) out.name = name;
  const inherit = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'] as const;
  for (const k of inherit) if (out[k] === undefined && root[k] !== undefined) (out as Record<string, unknown>)[k] = root[k];
  return out;
}

/** istiod's mergeHTTPMatchRequests: undefined on conflict. */
function mergeMatches(root: readonly HTTPMatchRequest[], delegate: readonly HTTPMatchRequest[]): HTTPMatchRequest[] | undefined {
  if (root.length === 0) return [...delegate];
  if (delegate.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const sub of delegate) {
    let found = false;
    for (const r of root) {
      if (hasConflict(r, sub)) continue;
      out.push(mergeMatch(r, sub));
      found = true;
    }
    if (!found) return undefined;
  }
  return out.length === 0 ? undefined : out;
}

function mergeMatch(root: HTTPMatchRequest, d: HTTPMatchRequest): HTTPMatchRequest {
  const out: Mutable<HTTPMatchRequest> = { ...d };
  const name = !d.name ? root.name : root.name ? `${root.name}-${d.name}` : d.name;
  if (name) out.name = name;
  out.uri ??= root.uri;
  out.scheme ??= root.scheme;
  out.method ??= root.method;
  out.authority ??= root.authority;
  const union = <T>(a: Readonly<Record<string, T>> | undefined, b: Readonly<Record<string, T>> | undefined) => (a || b ? { ...a, ...b } : undefined);
  const headers = union(root.headers, d.headers);
  if (headers) out.headers = headers;
  const without = union(root.withoutHeaders, d.withoutHeaders);
  if (without) out.withoutHeaders = without;
  const query = union(root.queryParams, d.queryParams);
  if (query) out.queryParams = query;
  if (!out.port) {
    if (root.port) out.port = root.port;
  }
  const labels = union(root.sourceLabels, d.sourceLabels);
  if (labels) out.sourceLabels = labels;
  if (!out.sourceNamespace && root.sourceNamespace) out.sourceNamespace = root.sourceNamespace;
  if ((!out.gateways || out.gateways.length === 0) && root.gateways) out.gateways = root.gateways;
  if (!out.statPrefix && root.statPrefix) out.statPrefix = root.statPrefix;
  for (const k of Object.keys(out) as (keyof HTTPMatchRequest)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** istiod's hasConflict: true when `leaf` is not within `root`. */
function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  const pairs: [StringMatch | undefined, StringMatch | undefined][] = [[root.uri, leaf.uri], [root.scheme, leaf.scheme], [root.method, leaf.method], [root.authority, leaf.authority]];
  for (const [a, b] of pairs) if (stringMatchConflict(a, b)) return true;
  for (const [k, v] of Object.entries(leaf.headers ?? {})) if (stringMatchConflict(root.headers?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.withoutHeaders ?? {})) if (stringMatchConflict(root.withoutHeaders?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.queryParams ?? {})) if (stringMatchConflict(root.queryParams?.[k], v)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {})) {
    const rv = root.sourceLabels?.[k];
    if (rv !== undefined && rv !== v) return true;
  }
  const rg = root.gateways ?? [];
  const lg = leaf.gateways ?? [];
  if (rg.length > 0 && lg.length > 0) {
    if (rg.length < lg.length) return true;
    const set = new Set(rg);
    if (lg.some((g) => !set.has(g))) return true;
  }
  return false;
}

/** istiod's stringMatchConflict: the leaf must be a narrowing of the root (prefix within prefix…). */
function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex) {
    if (leaf.regex || leaf.prefix || leaf.exact) return true;
  }
  if (leaf.regex) {
    if (root.regex || root.prefix || root.exact) return true;
  }
  if (root.exact) {
    if (leaf.prefix) return true;
    return leaf.exact !== root.exact;
  }
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}
