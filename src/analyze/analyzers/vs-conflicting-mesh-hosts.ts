/**
 * virtualservice.ConflictingMeshGatewayHostsAnalyzer: two VirtualServices bound to the mesh gateway
 * (no `gateways`, or `mesh` listed) that define the same host for the same namespaces conflict;
 * sidecars use only one of them (IST0109). Gateways merge VirtualServices; sidecars do not.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { hostsIntersect } from '../../config/hosts.js';
import type { VirtualServiceView } from '../views.js';

/** The analyzer. */
export const conflictingMeshGatewayHostsAnalyzer: Analyzer = {
  name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
  description: 'Checks if multiple virtual services associated with the mesh gateway have conflicting hosts',
  inputs: ['VirtualService'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    // `scope/fqdn` → VirtualServices, scope `*` or a namespace (Istio's ScopedFqdn).
    const byHost = new Map<string, Resource<VirtualServiceView>[]>();
    const order: string[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) {
      const gws = r.spec.gateways ?? [];
      if (gws.length > 0 && !gws.includes('mesh')) continue;
      const ns = r.metadata.namespace;
      const exportTo = r.spec.exportTo ?? [];
      const scopes = exportTo.length === 0 || exportTo.includes('*') ? ['*'] : [...new Set(exportTo.map((e) => (e === '.' ? ns : e)))];
      for (const scope of scopes) {
        for (const h of r.spec.hosts ?? []) {
          const key = `${scope}/${ctx.fqdn(h, ns)}`;
          let list = byHost.get(key);
          if (!list) {
            byHost.set(key, (list = []));
            order.push(key);
          }
          if (!list.includes(r)) list.push(r);
        }
      }
    }
    const out: Diagnostic[] = [];
    const reported = new Set<Resource>();
    for (const key of order) {
      const slash = key.indexOf('/');
      const scope = key.slice(0, slash);
      const host = key.slice(slash + 1);
      let list = byHost.get(key)!;
      if (scope !== '*') {
        // Hosts exported everywhere also reach this namespace.
        for (const [other, vss] of byHost) {
          const os = other.slice(0, other.indexOf('/'));
          const oh = other.slice(other.indexOf('/') + 1);
          if (os === '*' && hostsIntersect(oh, host)) list = [...list, ...vss.filter((v) => !list.includes(v))];
        }
      }
      if (list.length < 2) continue;
      const names = list.map((v) => `${v.metadata.namespace}/${v.metadata.name}`).join(',');
      for (const vs of list) {
        if (reported.has(vs)) continue;
        reported.add(vs);
        out.push(message(Messages.ConflictingMeshGatewayVirtualServiceHosts, vs, ['metadata', 'name'], names, key));
      }
    }
    return out;
  },
};
