/**
 * gateway.ConflictingGatewayAnalyzer: two Gateways that select the same gateway pod and declare the
 * same port with overlapping hosts conflict; the gateway serves only one of them (IST0145).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { hostsIntersect } from '../../model/hosts.js';
import type { GatewayView } from '../views.js';
import { gatewayPods, gatewaySelector } from './gateway-workloads.js';

const bareHost = (h: string) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h);

/** The analyzer. */
export const conflictingGatewayAnalyzer: Analyzer = {
  name: 'gateway.ConflictingGatewayAnalyzer',
  description: "Checks a gateway's selector, port number and hosts",
  inputs: ['Gateway', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const gws = ctx.list<GatewayView>('Gateway').map((gw) => ({ gw, pods: new Set(gatewayPods(ctx, gw).map((p) => `${p.namespace}/${p.name}`)) }));
    const out: Diagnostic[] = [];
    for (const a of gws) {
      if (a.pods.size === 0) continue;
      (a.gw.spec.servers ?? []).forEach((server, i) => {
        const port = server.port?.number;
        if (port === undefined) return;
        const hosts = (server.hosts ?? []).map(bareHost);
        const conflicts: string[] = [];
        for (const b of gws) {
          if (b === a || ![...b.pods].some((p) => a.pods.has(p))) continue;
          const clash = (b.gw.spec.servers ?? []).some((s) => s.port?.number === port && (s.hosts ?? []).map(bareHost).some((h) => hosts.some((x) => hostsIntersect(x, h))));
          if (clash) conflicts.push(`${b.gw.metadata.namespace}/${b.gw.metadata.name}`);
        }
        if (conflicts.length === 0) return;
        out.push(message(Messages.ConflictingGateways, a.gw, ['spec', 'servers', i, 'port'],
          conflicts.join(','), gatewaySelector(a.gw).text, String(port), (server.hosts ?? []).join(',')));
      });
    }
    return out;
  },
};
