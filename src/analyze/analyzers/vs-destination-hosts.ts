/**
 * virtualservice.DestinationHostAnalyzer: every route and mirror destination of a VirtualService
 * must name a service that exists and is visible (IST0101 `host`, `mirror host`, `host:port`), and
 * must pick a port when the service exposes several (IST0112), as istioctl checks; and, as part of
 * the same istioctl analyzer, gateway routes that bypass another VirtualService's subsets (IST0140,
 * `vs-ingress-subsets.ts`).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { DestinationView, VirtualServiceView } from '../views.js';
import { ingressSubsetMessages } from './vs-ingress-subsets.js';

/** A destination with where it sits in the VirtualService. */
export interface LocatedDestination {
  readonly destination: DestinationView;
  readonly path: readonly (string | number)[];
  readonly mirror: boolean;
}

/** Route destinations (tcp, tls, http) then HTTP mirrors, in Istio's order, with their field paths. */
export function vsDestinations(vs: VirtualServiceView): LocatedDestination[] {
  const out: LocatedDestination[] = [];
  for (const section of ['tcp', 'tls', 'http'] as const) {
    (vs[section] ?? []).forEach((rule, i) => {
      (rule.route ?? []).forEach((rd, j) => {
        if (rd?.destination) out.push({ destination: rd.destination, path: ['spec', section, i, 'route', j, 'destination', 'host'], mirror: false });
      });
    });
  }
  (vs.http ?? []).forEach((rule, i) => {
    if (rule.mirror) out.push({ destination: rule.mirror, path: ['spec', 'http', i, 'mirror', 'host'], mirror: true });
    (rule.mirrors ?? []).forEach((m, j) => {
      if (m.destination) out.push({ destination: m.destination, path: ['spec', 'http', i, 'mirrors', j, 'destination', 'host'], mirror: true });
    });
  });
  return out;
}

/** The analyzer. */
export const destinationHostAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Checks the destination hosts associated with each virtual service',
  inputs: ['VirtualService', 'ServiceEntry', 'Service'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) out.push(...checkVirtualService(ctx, r));
    out.push(...ingressSubsetMessages(ctx));
    return out;
  },
};

function checkVirtualService(ctx: AnalysisContext, r: Resource<VirtualServiceView>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ns = r.metadata.namespace;
  for (const { destination: d, path, mirror } of vsDestinations(r.spec)) {
    const svc = ctx.findService(d.host, ns);
    if (!svc) {
      out.push(message(Messages.ReferencedResourceNotFound, r, path, mirror ? 'mirror host' : 'host', d.host));
      continue;
    }
    const port = d.port?.number;
    if (port === undefined) {
      if (svc.ports.length > 1) {
        out.push(message(Messages.VirtualServiceDestinationPortSelectorRequired, r, path, d.host, svc.ports.map((p) => p.port)));
      }
      continue;
    }
    if (!svc.ports.some((p) => p.port === port)) {
      out.push(message(Messages.ReferencedResourceNotFound, r, path, 'host:port', `${d.host}:${port}`));
    }
  }
  return out;
}
