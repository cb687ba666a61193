/**
 * The Telemetry resources that apply to one proxy, in Istio's precedence order (later entries
 * override earlier ones): the root namespace's mesh-wide Telemetry (no selector), the proxy's
 * namespace-wide Telemetry, then every Telemetry in the proxy's namespace whose `selector` matches
 * its labels. Of several selector-less Telemetries in one namespace the oldest counts, as istiod's
 * `namespaceWideTelemetryConfig` picks the first. `targetRef(s)` policies (Kubernetes Gateway API
 * attachment) do not select Weft's proxies.
 */
import type { Resource } from '../../config/resource.js';
import type { TelemetrySpec } from '../../config/schema/telemetry.js';
import { selectorIsEmpty, selectorMatches } from '../../config/labels.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';

/** Which side of a request a listener serves (Istio's `WorkloadMode`). */
export type WorkloadMode = 'CLIENT' | 'SERVER';

const isNamespaceWide = (r: Resource<TelemetrySpec>): boolean =>
  selectorIsEmpty(r.spec.selector?.matchLabels) && r.spec.targetRef === undefined && (r.spec.targetRefs?.length ?? 0) === 0;

/** The applicable Telemetries, least specific first. */
export function applicableTelemetries(snapshot: MeshSnapshot, node: ProxyNode): Resource<TelemetrySpec>[] {
  const all = snapshot.list<TelemetrySpec>('Telemetry');
  const root = snapshot.meshConfig.rootNamespace;
  const out: Resource<TelemetrySpec>[] = [];
  const rootWide = all.find((r) => r.metadata.namespace === root && isNamespaceWide(r));
  if (rootWide) out.push(rootWide);
  if (node.namespace !== root) {
    const nsWide = all.find((r) => r.metadata.namespace === node.namespace && isNamespaceWide(r));
    if (nsWide) out.push(nsWide);
  }
  for (const r of all) {
    if (r.metadata.namespace !== node.namespace || isNamespaceWide(r)) continue;
    if (r.spec.targetRef !== undefined || (r.spec.targetRefs?.length ?? 0) > 0) continue;
    if (selectorMatches(r.spec.selector?.matchLabels, node.labels)) out.push(r);
  }
  return out;
}
