/**
 * virtualservice.JWTClaimRouteAnalyzer: routing on `@request.auth.claims.*` headers at a gateway
 * needs a RequestAuthentication selecting each gateway pod (in its namespace or the root
 * namespace); without one the claims are never populated and the route never matches (IST0149).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { selectorMatches } from '../../config/labels.js';
import type { GatewayView, PolicyView, VirtualServiceView } from '../views.js';
import { gatewayRef } from './vs-gateways.js';

const CLAIM_PREFIX = '@request.auth.claims';

/** The first header key a VirtualService routes on that is a JWT claim, with its path; undefined if none. */
export function jwtClaimKey(vs: VirtualServiceView): { key: string; path: (string | number)[] } | undefined {
  for (const [i, route] of (vs.http ?? []).entries()) {
    for (const [j, m] of (route.match ?? []).entries()) {
      for (const field of ['headers', 'withoutHeaders'] as const) {
        for (const key of Object.keys(m[field] ?? {})) {
          if (key.startsWith(CLAIM_PREFIX)) return { key, path: ['spec', 'http', i, 'match', j, field, key] };
        }
      }
    }
  }
  return undefined;
}

/** The analyzer. */
export const jwtClaimRouteAnalyzer: Analyzer = {
  name: 'virtualservice.JWTClaimRouteAnalyzer',
  description: 'Checks the VirtualService using JWT claim based routing has corresponding RequestAuthentication',
  inputs: ['VirtualService', 'RequestAuthentication', 'Gateway', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const ras = ctx.list<PolicyView>('RequestAuthentication');
    const out: Diagnostic[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) {
      const claim = jwtClaimKey(r.spec);
      if (!claim) continue;
      for (const ref of r.spec.gateways ?? []) {
        if (ref === 'mesh') continue;
        const { namespace, name } = gatewayRef(ref, r.metadata.namespace);
        const gw = ctx.snapshot.get<GatewayView>('Gateway', namespace, name);
        if (!gw) continue;
        for (const pod of ctx.selectWorkloads(gw.spec.selector, undefined)) {
          const covered = ras.some((ra) =>
            (ra.metadata.namespace === ctx.mesh.rootNamespace || ra.metadata.namespace === pod.namespace) &&
            selectorMatches(ra.spec.selector?.matchLabels, pod.labels));
          if (!covered) out.push(message(Messages.JwtClaimBasedRoutingWithoutRequestAuthN, r, claim.path, claim.key, `${namespace}/${name}`, pod.name));
        }
      }
    }
    return out;
  },
};
