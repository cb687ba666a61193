/**
 * IST0140 IngressRouteRulesNotAffected, part of istioctl's virtualservice.DestinationHostAnalyzer
 * (istio/istio `pkg/config/analysis/analyzers/virtualservice/destinationhosts.go`): a VirtualService
 * bound to gateways that routes to a host without a subset, while another VirtualService splits the
 * same host by subset, does not get that split on the gateway: the gateway sends the requests it
 * routes straight to the host. Hosts compare as written (no short-name expansion), as in Istio.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { VirtualServiceView } from '../views.js';

const fullName = (r: Resource) => `${r.metadata.namespace}/${r.metadata.name}`;

/** IST0140 messages for every VirtualService. */
export function ingressSubsetMessages(ctx: AnalysisContext): Diagnostic[] {
  const all = ctx.list<VirtualServiceView>('VirtualService');
  // VirtualServices with HTTP route destinations that pick a subset of one of their own hosts.
  const subsetHosts = new Map<Resource<VirtualServiceView>, Set<string>>();
  for (const vs of all) {
    const hosts = vs.spec.hosts ?? [];
    const found = new Set<string>();
    for (const rule of vs.spec.http ?? []) {
      for (const rd of rule.route ?? []) {
        const d = rd?.destination;
        if (d?.subset && hosts.includes(d.host)) found.add(d.host);
      }
    }
    if (found.size > 0) subsetHosts.set(vs, found);
  }
  const out: Diagnostic[] = [];
  for (const r of all) {
    if ((r.spec.gateways ?? []).length === 0) continue;
    (r.spec.http ?? []).forEach((rule, i) => {
      (rule.route ?? []).forEach((rd, j) => {
        const d = rd?.destination;
        if (!d || d.subset) return;
        // Istio reports once per subset destination; identical lines are one message here.
        for (const [other, hosts] of subsetHosts) {
          if (hosts.has(d.host)) out.push(message(Messages.IngressRouteRulesNotAffected, r, ['spec', 'http', i, 'route', j, 'destination', 'host'], fullName(other), fullName(r)));
        }
      });
    });
  }
  return out;
}
