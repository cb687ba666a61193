/**
 * Finds the DestinationRule that applies to a host for a proxy, as istiod does:
 *
 * - Rules are processed selector-first, then oldest first (istiod's sortConfigBySelectorAndCreationTime);
 *   short hosts resolve in the rule's namespace.
 * - Several rules for one host in one namespace are consolidated (istiod's mergeDestinationRule with
 *   ENABLE_ENHANCED_DESTINATIONRULE_MERGE, its default): subsets are concatenated by unique name (the
 *   first rule's subset wins), the first top-level trafficPolicy wins; rules with different
 *   exportTo or different workload selectors stay separate entries.
 * - A rule with a `workloadSelector` is private to its namespace and applies only to proxies it
 *   selects (outbound only).
 * - Lookup order: the proxy's namespace (all rules visible there), then rules the service's
 *   namespace exports to the proxy's namespace, then rules the root namespace exports; within a
 *   namespace an exact host beats the most specific wildcard.
 */
import type { Resource } from '../../config/resource.js';
import type { DestinationRuleSpec } from '../../config/schema/destination-rule.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { Labels } from '../../config/labels.js';
import { selectorMatches } from '../../config/labels.js';
import type { Service } from '../../registry/types.js';

/** One consolidated rule: the merged spec of one or more DestinationRules for the same host. */
export interface ConsolidatedDestinationRule {
  /** The resolved host (FQDN or wildcard) the rule applies to. */
  readonly host: string;
  /** Namespace of the rule (of the first rule merged into it). */
  readonly namespace: string;
  /** Name of the first rule merged into it. */
  readonly name: string;
  /** Merged spec, `host` resolved. */
  readonly spec: DestinationRuleSpec;
  /** The DestinationRules merged into this one, first one first. */
  readonly from: readonly Resource<DestinationRuleSpec>[];
  /** exportTo as istiod keeps it (`.`, `*`, namespaces; empty = the mesh default `*`). */
  readonly exportTo: ReadonlySet<string>;
}

interface Entry {
  host: string;
  namespace: string;
  name: string;
  spec: DestinationRuleSpec;
  subsets: NonNullable<DestinationRuleSpec['subsets']>[number][];
  from: Resource<DestinationRuleSpec>[];
  exportTo: ReadonlySet<string>;
}

interface HostRules {
  readonly specific: Map<string, Entry[]>;
  readonly wildcard: Map<string, Entry[]>;
}

/** The per-snapshot index of DestinationRules (istiod's destinationRuleIndex). */
export interface DestinationRuleIndex {
  readonly rootNamespace: string;
  /** Rules visible inside the namespace that declares them (public and private). */
  readonly namespaceLocal: ReadonlyMap<string, HostRulesView>;
  /** Rules a namespace exports to others. */
  readonly exportedByNamespace: ReadonlyMap<string, HostRulesView>;
  /** Private rules of the root namespace. */
  readonly rootNamespaceLocal: HostRulesView;
}

/** Rules of one pool, keyed by host. */
export interface HostRulesView {
  readonly specific: ReadonlyMap<string, readonly ConsolidatedDestinationRule[]>;
  readonly wildcard: ReadonlyMap<string, readonly ConsolidatedDestinationRule[]>;
}

const indexCache = new WeakMap<MeshSnapshot, DestinationRuleIndex>();

/**
 * The last index built, with its inputs: the DestinationRule resources (by identity, in order)
 * and the mesh config. A snapshot with the very same inputs (a change of another kind) gets the
 * same index, and with it the per-service answers memoized on it.
 */
let lastBuilt: { rules: readonly object[]; meshConfig: object; index: DestinationRuleIndex } | undefined;

/** Builds (once per snapshot, then cached; reused while the rules and mesh config are unchanged) the DestinationRule index. */
export function destinationRuleIndex(snapshot: MeshSnapshot): DestinationRuleIndex {
  let index = indexCache.get(snapshot);
  if (!index) {
    const rules = snapshot.list('DestinationRule');
    if (lastBuilt && lastBuilt.meshConfig === snapshot.meshConfig && sameItems(lastBuilt.rules, rules)) {
      index = lastBuilt.index;
    } else {
      index = buildDestinationRuleIndex(snapshot);
      lastBuilt = { rules, meshConfig: snapshot.meshConfig, index };
    }
    indexCache.set(snapshot, index);
  }
  return index;
}

function sameItems(a: readonly object[], b: readonly object[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds the DestinationRule index from a snapshot (pure). */
export function buildDestinationRuleIndex(snapshot: MeshSnapshot): DestinationRuleIndex {
  const rootNamespace = snapshot.meshConfig.rootNamespace;
  const rules = [...snapshot.list<DestinationRuleSpec>('DestinationRule')].sort(processingOrder);
  const namespaceLocal = new Map<string, HostRules>();
  const exported = new Map<string, HostRules>();
  const rootLocal = newHostRules();
  for (const r of rules) {
    const ns = r.metadata.namespace;
    const host = snapshot.resolveHost(r.spec.host, ns);
    const exportTo: ReadonlySet<string> = r.spec.workloadSelector ? new Set(['.']) : new Set(r.spec.exportTo ?? []);
    if (exportTo.size === 0 || exportTo.has('*') || exportTo.has('.') || exportTo.has(ns)) {
      mergeRule(getOrCreate(namespaceLocal, ns), r, host, exportTo);
    }
    // Weft's mesh config has no defaultDestinationRuleExportTo: the default is Istio's `*`.
    const privateOnly = exportTo.size === 1 && (exportTo.has('.') || exportTo.has(ns));
    if (!privateOnly) mergeRule(getOrCreate(exported, ns), r, host, exportTo);
    else if (ns === rootNamespace) mergeRule(rootLocal, r, host, exportTo);
  }
  return {
    rootNamespace,
    namespaceLocal: freezePools(namespaceLocal),
    exportedByNamespace: freezePools(exported),
    rootNamespaceLocal: freezeRules(rootLocal),
  };
}

/**
 * The consolidated rules that may apply to `service` for a proxy in `proxyNamespace` (istiod's
 * PushContext.destinationRule): several entries when rules with different selectors or exportTo exist.
 */
export function destinationRulesFor(index: DestinationRuleIndex, proxyNamespace: string, service: Service): readonly ConsolidatedDestinationRule[] {
  // Memoized per index (snapshot), service and namespace: every cluster, load assignment and
  // route of every proxy scope asks, and the answer only depends on these three.
  let byService = candidatesMemo.get(index);
  if (!byService) candidatesMemo.set(index, (byService = new WeakMap()));
  let byNamespace = byService.get(service);
  if (!byNamespace) byService.set(service, (byNamespace = new Map()));
  let found = byNamespace.get(proxyNamespace);
  if (!found) {
    found = findCandidates(index, proxyNamespace, service);
    byNamespace.set(proxyNamespace, found);
  }
  return found;
}

const candidatesMemo = new WeakMap<DestinationRuleIndex, WeakMap<Service, Map<string, readonly ConsolidatedDestinationRule[]>>>();

function findCandidates(index: DestinationRuleIndex, proxyNamespace: string, service: Service): readonly ConsolidatedDestinationRule[] {
  if (proxyNamespace !== index.rootNamespace) {
    const local = index.namespaceLocal.get(proxyNamespace);
    const found = local && mostSpecificHostMatch(service.hostname, local);
    if (found) return found;
  } else {
    const found = mostSpecificHostMatch(service.hostname, index.rootNamespaceLocal);
    if (found) return found;
  }
  const fromService = exportedFrom(index, service.namespace, service.hostname, proxyNamespace);
  if (fromService.length > 0) return fromService;
  return exportedFrom(index, index.rootNamespace, service.hostname, proxyNamespace);
}

/**
 * Picks the rule for one proxy among the candidates (istiod's SidecarScope.DestinationRule): for
 * outbound traffic a rule in the proxy's namespace whose workloadSelector selects the proxy wins;
 * otherwise the last candidate without a selector.
 */
export function selectDestinationRule(
  candidates: readonly ConsolidatedDestinationRule[],
  proxyNamespace: string,
  proxyLabels: Labels,
  direction: 'outbound' | 'inbound',
): ConsolidatedDestinationRule | undefined {
  let catchAll: ConsolidatedDestinationRule | undefined;
  for (const c of candidates) {
    const selector = c.spec.workloadSelector;
    if (!selector) catchAll = c;
    if (selector && direction === 'outbound' && c.namespace === proxyNamespace && selectorMatches(selector.matchLabels ?? {}, proxyLabels)) {
      return c;
    }
  }
  return catchAll;
}

/** The DestinationRule that applies to traffic from `node` to `service` (undefined when none). */
export function destinationRuleFor(
  snapshot: MeshSnapshot,
  node: ProxyNode,
  service: Service,
  direction: 'outbound' | 'inbound' = 'outbound',
): ConsolidatedDestinationRule | undefined {
  const index = destinationRuleIndex(snapshot);
  return selectDestinationRule(destinationRulesFor(index, node.namespace, service), node.namespace, node.labels, direction);
}

/** Exact host first, then the most specific wildcard (istiod's MostSpecificHostMatch). */
function mostSpecificHostMatch(needle: string, pool: HostRulesView): readonly ConsolidatedDestinationRule[] | undefined {
  if (needle.startsWith('*')) {
    const exact = pool.wildcard.get(needle);
    if (exact) return exact;
    return wildcardMatch(needle.slice(1), pool);
  }
  const exact = pool.specific.get(needle);
  if (exact) return exact;
  return wildcardMatch(needle, pool);
}

function wildcardMatch(needle: string, pool: HostRulesView): readonly ConsolidatedDestinationRule[] | undefined {
  let best: string | undefined;
  for (const h of pool.wildcard.keys()) {
    if (!needle.endsWith(h.slice(1))) continue;
    if (best === undefined || h.length > best.length || (h.length === best.length && h < best)) best = h;
  }
  return best === undefined ? undefined : pool.wildcard.get(best);
}

function exportedFrom(index: DestinationRuleIndex, owner: string, hostname: string, client: string): readonly ConsolidatedDestinationRule[] {
  const pool = index.exportedByNamespace.get(owner);
  if (!pool) return [];
  const found = mostSpecificHostMatch(hostname, pool);
  if (!found) return [];
  return found.filter((c) => c.exportTo.size === 0 || c.exportTo.has('*') || c.exportTo.has(client));
}

/** istiod's mergeDestinationRule (enhanced merge on). */
function mergeRule(pool: HostRules, r: Resource<DestinationRuleSpec>, host: string, exportTo: ReadonlySet<string>): void {
  const map = host.startsWith('*') ? pool.wildcard : pool.specific;
  const list = map.get(host);
  if (!list) {
    map.set(host, [newEntry(r, host, exportTo)]);
    return;
  }
  const incomingSelector = r.spec.workloadSelector;
  let appendSeparately = true;
  for (const existing of list) {
    const existingSelector = existing.spec.workloadSelector;
    const bothWithout = !incomingSelector && !existingSelector;
    const bothWith = !!incomingSelector && !!existingSelector;
    const selectorsMatch = labelsEqual(existingSelector?.matchLabels, incomingSelector?.matchLabels);
    if (setsEqual(exportTo, existing.exportTo)) {
      appendSeparately = !(bothWithout || (bothWith && selectorsMatch));
    } else if (existing.exportTo.size > 0 && isSuperset(exportTo, existing.exportTo)) {
      appendSeparately = true;
    } else {
      appendSeparately = true;
      continue;
    }
    if (bothWith && !selectorsMatch) {
      appendSeparately = true;
      continue;
    }
    if (bothWithout || (bothWith && selectorsMatch)) appendSeparately = false;
    existing.from.push(r);
    const names = new Set(existing.subsets.map((s) => s.name));
    for (const s of r.spec.subsets ?? []) {
      if (!names.has(s.name)) {
        existing.subsets.push(s);
        names.add(s.name);
      }
    }
    if (!existing.spec.trafficPolicy && r.spec.trafficPolicy) existing.spec = { ...existing.spec, trafficPolicy: r.spec.trafficPolicy };
  }
  if (appendSeparately) list.push(newEntry(r, host, exportTo));
}

function newEntry(r: Resource<DestinationRuleSpec>, host: string, exportTo: ReadonlySet<string>): Entry {
  return {
    host,
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    spec: { ...r.spec, host },
    subsets: [...(r.spec.subsets ?? [])],
    from: [r],
    exportTo,
  };
}

/** Selector rules first, then oldest first, then name, then namespace (istiod's order). */
function processingOrder(a: Resource<DestinationRuleSpec>, b: Resource<DestinationRuleSpec>): number {
  const sa = a.spec.workloadSelector ? 0 : 1;
  const sb = b.spec.workloadSelector ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = a.metadata.creationTimestamp;
  const tb = b.metadata.creationTimestamp;
  if (ta && tb && ta !== tb) return ta < tb ? -1 : 1;
  if (ta && !tb) return -1;
  if (!ta && tb) return 1;
  return cmp(a.metadata.name, b.metadata.name) || cmp(a.metadata.namespace, b.metadata.namespace);
}

function newHostRules(): HostRules {
  return { specific: new Map(), wildcard: new Map() };
}

function getOrCreate(m: Map<string, HostRules>, ns: string): HostRules {
  let v = m.get(ns);
  if (!v) m.set(ns, (v = newHostRules()));
  return v;
}

function freezePools(m: Map<string, HostRules>): ReadonlyMap<string, HostRulesView> {
  const out = new Map<string, HostRulesView>();
  for (const [ns, rules] of m) out.set(ns, freezeRules(rules));
  return out;
}

function freezeRules(rules: HostRules): HostRulesView {
  const conv = (m: Map<string, Entry[]>) => {
    const out = new Map<string, readonly ConsolidatedDestinationRule[]>();
    for (const [h, list] of m) out.set(h, Object.freeze(list.map(freezeEntry)));
    return out;
  };
  return { specific: conv(rules.specific), wildcard: conv(rules.wildcard) };
}

function freezeEntry(e: Entry): ConsolidatedDestinationRule {
  return Object.freeze({
    host: e.host,
    namespace: e.namespace,
    name: e.name,
    spec: Object.freeze({ ...e.spec, subsets: e.subsets }),
    from: Object.freeze([...e.from]),
    exportTo: e.exportTo,
  });
}

function labelsEqual(a: Labels | undefined, b: Labels | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => a?.[k] === b?.[k]);
}

function setsEqual(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

function isSuperset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const v of b) if (!a.has(v)) return false;
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
