/**
 * gateway.CertificateAnalyzer: the same certificate on servers of two Gateways that apply to the
 * same gateway workloads lets HTTP/2 clients reuse one connection for both and get 404s (IST0138).
 * As istioctl decides (istio/istio `pkg/config/analysis/analyzers/gateway/certificate.go`), Gateway B
 * applies where Gateway A does when A's selector is empty or a subset of B's (no pods needed); two
 * servers share a certificate when both name the same `credentialName`, or, both without one, the
 * same `serverCertificate` and `privateKey`. Each such pair is one message on A naming `[A B]`.
 * Gateways are not scoped to their namespace (istiod's default, PILOT_SCOPE_GATEWAY_TO_NAMESPACE off).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { GatewayServerView, GatewayView } from '../views.js';

type Tls = NonNullable<GatewayServerView['tls']>;

/** Istio's haveSameCertificate. */
function sameCertificate(a: Tls, b: Tls): boolean {
  if (a.credentialName && b.credentialName) return a.credentialName === b.credentialName;
  if (a.credentialName || b.credentialName) return false;
  return !!a.serverCertificate && a.serverCertificate === b.serverCertificate && !!a.privateKey && a.privateKey === b.privateKey;
}

/** True when every label of `x` is in `y` with the same value. */
function selectorSubset(x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>): boolean {
  return Object.entries(x).every(([k, v]) => y[k] === v);
}

/** The analyzer. */
export const gatewayCertificateAnalyzer: Analyzer = {
  name: 'gateway.CertificateAnalyzer',
  description: 'Checks a gateway certificate',
  inputs: ['Gateway'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const gws = ctx.list<GatewayView>('Gateway');
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    for (const a of gws) {
      const selector = a.spec.selector ?? {};
      const aName = `${a.metadata.namespace}/${a.metadata.name}`;
      for (const b of gws) {
        if (b === a || !selectorSubset(selector, b.spec.selector ?? {})) continue;
        const bName = `${b.metadata.namespace}/${b.metadata.name}`;
        const shared = (a.spec.servers ?? []).some((sa) => sa.tls && (b.spec.servers ?? []).some((sb) => sb.tls && sameCertificate(sa.tls!, sb.tls!)));
        // Istio reports once per server pair; the lines are identical, so one message per pair of Gateways.
        if (!shared || seen.has(`${aName}|${bName}`)) continue;
        seen.add(`${aName}|${bName}`);
        out.push(message(Messages.GatewayDuplicateCertificate, a, ['metadata', 'name'], [aName, bName]));
      }
    }
    return out;
  },
};
