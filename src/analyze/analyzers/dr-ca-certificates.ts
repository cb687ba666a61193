/**
 * destinationrule.CaCertificateAnalyzer: TLS origination in SIMPLE or MUTUAL mode without
 * `caCertificates` does not verify the server's certificate (IST0128 at the destination level,
 * IST0129 per port). A `credentialName` counts only for rules with a workloadSelector (gateways),
 * as istioctl decides (istio/istio `pkg/config/analysis/analyzers/destinationrule/ca-certificates.go`;
 * `insecureSkipVerify` does not exempt a rule there either). The texts name the rule `namespace/name`
 * and the port as the PortSelector prints (`number:443`), word for word as istioctl prints them.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { ClientTlsView, DestinationRuleView } from '../views.js';

function unverified(tls: ClientTlsView | undefined, hasSelector: boolean): string | undefined {
  if (!tls) return undefined;
  const mode = tls.mode ?? '';
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL') return undefined;
  if (tls.caCertificates) return undefined;
  if (tls.credentialName && hasSelector) return undefined;
  return mode;
}

/** The analyzer. */
export const caCertificateAnalyzer: Analyzer = {
  name: 'destinationrule.CaCertificateAnalyzer',
  description: 'Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL',
  inputs: ['DestinationRule'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<DestinationRuleView>('DestinationRule')) {
      const hasSelector = r.spec.workloadSelector !== undefined;
      const tp = r.spec.trafficPolicy;
      const mode = unverified(tp?.tls, hasSelector);
      if (mode) {
        out.push(message(Messages.NoServerCertificateVerificationDestinationLevel, r, ['spec', 'trafficPolicy', 'tls', 'mode'],
          `${r.metadata.namespace}/${r.metadata.name}`, r.metadata.namespace, mode, r.spec.host));
      }
      (tp?.portLevelSettings ?? []).forEach((pls, i) => {
        const m = unverified(pls.tls, hasSelector);
        if (!m) return;
        out.push(message(Messages.NoServerCertificateVerificationPortLevel, r, ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'mode'],
          `${r.metadata.namespace}/${r.metadata.name}`, r.metadata.namespace, m, r.spec.host, pls.port?.number === undefined ? '' : `number:${pls.port.number}`));
      });
    }
    return out;
  },
};
