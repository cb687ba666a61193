/**
 * Config that bears on one explained request but does not show in its path: the answer to "my
 * config is silently ignored" (istio-reference.md, complaint 8).
 *
 * - VirtualServices for the destination host that a sidecar ignores because an older one owns the
 *   host (Istio does not merge them in the mesh, istio/istio#36621);
 * - VirtualServices naming the host (other than by `*`) that are bound only to gateways (not
 *   `mesh`), or not to this gateway, or not visible here;
 * - AuthorizationPolicy rules translation skipped (unsupported fields) at a destination;
 * - every analyzer message (`weft analyze`) about a resource on the path: the VirtualServices and
 *   DestinationRules used, the Sidecar of the source, Gateways, and the policies of each destination.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import { formatKey } from '../config/diagnostic.js';
import { hostMatches } from '../config/hosts.js';
import type { ProxyScope } from '../translate/proxy-scope.js';
import { indexVirtualServices, MESH_GATEWAY, type IndexedVirtualService } from '../translate/virtual-services.js';
import type { ConfigNote } from './types.js';

/** Code of the notes explain makes itself. */
export const EXPLAIN_NOTE_CODE = 'WEFT-EXPLAIN';

/** VirtualServices bound to the proxy on `port` whose hosts cover `host`, oldest first. */
export function virtualServicesForHost(scope: ProxyScope, port: number, host: string): readonly IndexedVirtualService[] {
  return scope.virtualServicesForPort(port).filter((vs) => vs.hosts.some((h) => hostMatches(h, host)));
}

/** Notes on VirtualServices for `host`: ignored by a sidecar, or bound elsewhere. */
export function virtualServiceNotes(scope: ProxyScope, port: number, host: string, owner: string | undefined): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const bound = virtualServicesForHost(scope, port, host);
  if (scope.node.role === 'sidecar' && owner) {
    for (const vs of bound) {
      const name = `${vs.namespace}/${vs.name}`;
      if (name === owner) continue;
      notes.push({
        level: 'Warning',
        code: EXPLAIN_NOTE_CODE,
        resource: `VirtualService ${name}`,
        message: `ignored for ${host} on this sidecar: VirtualService ${owner} owns the host (oldest first); sidecars do not merge VirtualServices for one host (istio/istio#36621)`,
      });
    }
  }
  const boundNames = new Set(bound.map((vs) => `${vs.namespace}/${vs.name}`));
  const elsewhere = indexVirtualServices(scope.snapshot).filter(
    (vs) => !boundNames.has(`${vs.namespace}/${vs.name}`) && vs.hosts.some((h) => h !== '*' && hostMatches(h, host)),
  );
  for (const vs of elsewhere) {
    const where = scope.node.role === 'sidecar' && !vs.gateways.includes(MESH_GATEWAY)
      ? `bound to gateways [${vs.gateways.join(', ')}], not to sidecars (mesh)`
      : scope.node.role === 'router'
        ? `not bound to a Gateway this proxy serves (gateways: [${vs.gateways.join(', ')}])`
        : 'not visible to this proxy (exportTo or Sidecar egress hosts)';
    notes.push({ level: 'Info', code: EXPLAIN_NOTE_CODE, resource: `VirtualService ${vs.namespace}/${vs.name}`, message: `also names ${host} but does not apply here: ${where}` });
  }
  return notes;
}

/** Analyzer messages about the given resources (`Kind/namespace/name` keys). */
export function analysisNotes(messages: readonly Diagnostic[], involved: ReadonlySet<string>): ConfigNote[] {
  return messages
    .filter((m) => m.resource && involved.has(`${m.resource.kind}/${m.resource.namespace}/${m.resource.name}`))
    .map((m) => ({ level: m.level, code: m.code, resource: formatKey(m.resource!), message: m.message }));
}

/** De-duplicates notes (same code, resource and message), keeping the first. */
export function uniqueNotes(notes: readonly ConfigNote[]): ConfigNote[] {
  const seen = new Set<string>();
  return notes.filter((n) => {
    const k = `${n.code}|${n.resource ?? ''}|${n.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
