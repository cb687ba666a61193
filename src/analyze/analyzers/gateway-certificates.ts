/**
 * gateway.CertificateAnalyzer: the same certificate on servers of different Gateways that share
 * gateway pods lets HTTP/2 clients reuse one connection for both and get 404s (IST0138).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { GatewayView } from '../views.js';
import { gatewayPods } from './gateway-workloads.js';

function certificates(gw: Resource<GatewayView>): Set<string> {
  const out = new Set<string>();
  for (const s of gw.spec.servers ?? []) {
    const tls = s.tls;
    if (!tls) continue;
    if (tls.credentialName) out.add(`credential:${tls.credentialName}`);
    else if (tls.serverCertificate && tls.privateKey) out.add(`file:${tls.serverCertificate}|${tls.privateKey}`);
  }
  return out;
}

/** The analyzer. */
export const gatewayCertificateAnalyzer: Analyzer = {
  name: 'gateway.CertificateAnalyzer',
  description: 'Checks a gateway certificate',
  inputs: ['Gateway', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const gws = ctx.list<GatewayView>('Gateway').map((gw) => ({
      gw,
      certs: certificates(gw),
      pods: new Set(gatewayPods(ctx, gw).map((p) => `${p.namespace}/${p.name}`)),
    }));
    const out: Diagnostic[] = [];
    for (const a of gws) {
      if (a.certs.size === 0) continue;
      const dupes = gws.filter((b) => b !== a && [...b.certs].some((c) => a.certs.has(c)) && [...b.pods].some((p) => a.pods.has(p)));
      if (dupes.length === 0) continue;
      const names = [a, ...dupes].map((g) => `${g.gw.metadata.namespace}/${g.gw.metadata.name}`).sort();
      out.push(message(Messages.GatewayDuplicateCertificate, a.gw, ['metadata', 'name'], names));
    }
    return out;
  },
};
