/**
 * Shared logic for kinds where at most one resource may apply to a workload (Sidecar, Telemetry):
 * a selector that matches no pod in its namespace (IST0101 `selector`), two selectors matching the
 * same pod (IST0110 / IST0159), and several namespace-wide resources without a selector in one
 * namespace (IST0111 / IST0160). Istio picks one arbitrarily in both conflict cases.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import type { MessageType } from '../messages.js';
import { Messages } from '../messages.js';
import { formatLabels, selectorIsEmpty, type Labels } from '../../config/labels.js';

/** How to read one kind's selector, and which messages report its conflicts. */
export interface SelectorKind<S> {
  readonly kind: string;
  /** Labels of the selector and the path of the selector's labels field. */
  selector(spec: S): { labels: Labels | undefined; path: (string | number)[] };
  readonly conflicting: MessageType;
  readonly multipleWithoutSelector: MessageType;
  /** Resources that use another targeting mechanism (targetRef) and are skipped. */
  skip?(spec: S): boolean;
}

/** Runs the three checks for one kind. */
export function analyzeSelectorConflicts<S>(ctx: AnalysisContext, k: SelectorKind<S>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const resources = ctx.list<S>(k.kind).filter((r) => !k.skip?.(r.spec));
  const withoutSelector = new Map<string, Resource<S>[]>();
  const podOwners = new Map<string, { pod: string; ns: string; owners: Resource<S>[] }>();
  for (const r of resources) {
    const { labels, path } = k.selector(r.spec);
    const ns = r.metadata.namespace;
    if (selectorIsEmpty(labels)) {
      const list = withoutSelector.get(ns) ?? [];
      list.push(r);
      withoutSelector.set(ns, list);
      continue;
    }
    const pods = ctx.selectWorkloads(labels, ns);
    if (pods.length === 0) {
      const first = Object.keys(labels!).sort()[0]!;
      out.push(message(Messages.ReferencedResourceNotFound, r, [...path, first], 'selector', formatLabels(labels)));
      continue;
    }
    for (const p of pods) {
      const key = `${p.namespace}/${p.name}`;
      const entry = podOwners.get(key) ?? { pod: p.name, ns: p.namespace, owners: [] };
      entry.owners.push(r);
      podOwners.set(key, entry);
    }
  }
  const reported = new Set<string>();
  for (const { pod, ns, owners } of podOwners.values()) {
    if (owners.length < 2) continue;
    const names = owners.map((o) => o.metadata.name).sort();
    for (const o of owners) {
      const key = `${o.metadata.name}|${names.join(' ')}`;
      if (reported.has(key)) continue;
      reported.add(key);
      out.push(message(k.conflicting, o, k.selector(o.spec).path, names, ns, pod));
    }
  }
  for (const [ns, list] of withoutSelector) {
    if (list.length < 2) continue;
    const names = list.map((o) => o.metadata.name).sort();
    for (const o of list) out.push(message(k.multipleWithoutSelector, o, ['metadata', 'name'], names, ns));
  }
  return out;
}
