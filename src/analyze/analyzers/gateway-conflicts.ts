/**
 * gateway.ConflictingGatewayAnalyzer: two Gateways that apply to the same gateway workloads and
 * declare the same host on the same port (and bind) conflict; the gateway serves only one of them
 * (IST0145). As istioctl decides (istio/istio `pkg/config/analysis/analyzers/gateway/conflictinggateway.go`):
 * two Gateways apply to the same workloads when their selectors print the same (`k=v,…`, sorted),
 * or when one selector's text contains the other's and some pod matches both; servers conflict
 * when they share a port number and a host written identically with the same `bind` (istiod's
 * CheckDuplicates: `*.example.com` next to `web.example.com` is not a conflict, the more specific
 * host wins). Weft locates the message at the server's port (istioctl gives no line).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { formatLabels } from '../../config/labels.js';
import type { GatewayServerView, GatewayView } from '../views.js';

type Server = GatewayServerView & { readonly bind?: string };

/** True when Gateways `a` and `b` apply to the same gateway workloads, as istioctl decides. */
function sameWorkloads(ctx: AnalysisContext, a: Resource<GatewayView>, b: Resource<GatewayView>): boolean {
  const sa = formatLabels(a.spec.selector ?? {});
  const sb = formatLabels(b.spec.selector ?? {});
  if (sa === sb) return true;
  if (!sa.includes(sb) && !sb.includes(sa)) return false;
  return ctx.selectWorkloads(a.spec.selector ?? {}, undefined).some((w) => Object.entries(b.spec.selector ?? {}).every(([k, v]) => w.labels[k] === v));
}

/** True when two servers on one port declare an identical host with the same bind. */
function duplicateHosts(x: Server, y: Server): boolean {
  const bx = x.bind ?? '';
  const by = y.bind ?? '';
  return bx === by && (x.hosts ?? []).some((h) => (y.hosts ?? []).includes(h));
}

/** The analyzer. */
export const conflictingGatewayAnalyzer: Analyzer = {
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: "Checks a gateway's selector, port number and hosts",
  inputs: ['Gateway', 'Pod'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const gws = ctx.list<GatewayView>('Gateway');
    const out: Diagnostic[] = [];
    for (const a of gws) {
      const peers = gws.filter((b) => b !== a && sameWorkloads(ctx, a, b));
      (a.spec.servers ?? []).forEach((server: Server, i) => {
        const port = server.port?.number;
        if (port === undefined) return;
        const conflicts = peers
          .filter((b) => (b.spec.servers ?? []).some((s: Server) => s.port?.number === port && duplicateHosts(server, s)))
          .map((b) => `${b.metadata.namespace}/${b.metadata.name}`)
          .sort();
        if (conflicts.length === 0) return;
        out.push(message(Messages.ConflictingGateways, a, ['spec', 'servers', i, 'port'],
          conflicts.join(','), formatLabels(a.spec.selector ?? {}), String(port), (server.hosts ?? []).join(',')));
      });
    }
    return out;
  },
};
