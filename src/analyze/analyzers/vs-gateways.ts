/**
 * virtualservice.GatewayAnalyzer: gateways a VirtualService binds to must exist (IST0101 `gateway`),
 * and at least one of its hosts must be served by each bound Gateway (IST0132), else the routes
 * never reach that gateway.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { hostsIntersect } from '../../config/hosts.js';
import type { GatewayView, VirtualServiceView } from '../views.js';

/** Splits a gateway reference (`name` or `ns/name`) into namespace and name, short names in `ns`. */
export function gatewayRef(ref: string, ns: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  if (slash >= 0) return { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
  // Istio also accepts `name.namespace` FQDN-like references (`istio-system.svc.cluster.local` style is rare).
  return { namespace: ns, name: ref };
}

/** Hosts of a Gateway a VirtualService in `vsNamespace` may bind to (Istio's `ns/host` filtering). */
export function gatewayHostsFor(gw: Resource<GatewayView>, vsNamespace: string): string[] {
  const out: string[] = [];
  for (const server of gw.spec.servers ?? []) {
    for (const h of server.hosts ?? []) {
      const slash = h.indexOf('/');
      if (slash < 0) {
        out.push(h);
        continue;
      }
      const hostNs = h.slice(0, slash);
      const host = h.slice(slash + 1);
      const effectiveNs = hostNs === '.' ? gw.metadata.namespace : hostNs;
      if (effectiveNs === '*' || effectiveNs === vsNamespace) out.push(host);
    }
  }
  return out;
}

/** The analyzer. */
export const vsGatewayAnalyzer: Analyzer = {
  name: 'virtualservice.GatewayAnalyzer',
  description: 'Checks the gateways associated with each virtual service',
  inputs: ['VirtualService', 'Gateway'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) {
      const ns = r.metadata.namespace;
      (r.spec.gateways ?? []).forEach((ref, i) => {
        if (ref === 'mesh') return;
        const { namespace, name } = gatewayRef(ref, ns);
        const gw = ctx.snapshot.get<GatewayView>('Gateway', namespace, name);
        const path = ['spec', 'gateways', i];
        if (!gw) out.push(message(Messages.ReferencedResourceNotFound, r, path, 'gateway', ref));
        const gwHosts = gw ? gatewayHostsFor(gw, ns) : [];
        const vsHosts = r.spec.hosts ?? [];
        if (!gwHosts.some((gh) => vsHosts.some((vh) => hostsIntersect(gh, vh)))) {
          out.push(message(Messages.VirtualServiceHostNotFoundInGateway, r, path, vsHosts, `${ns}/${r.metadata.name}`, `${namespace}/${name}`));
        }
      });
    }
    return out;
  },
};
