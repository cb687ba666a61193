/**
 * virtualservice.DestinationRuleAnalyzer: a subset named by a route or mirror destination must be
 * defined by a DestinationRule for that host visible from the VirtualService (IST0101
 * `host+subset in destinationrule`); otherwise requests to it fail with 503 NR.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { exportScopes } from '../context.js';
import { Messages } from '../messages.js';
import type { DestinationRuleView, VirtualServiceView } from '../views.js';
import { vsDestinations } from './vs-destination-hosts.js';

/** The analyzer. */
export const destinationRuleSubsetAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationRuleAnalyzer',
  description: 'Checks the destination rules associated with each virtual service',
  inputs: ['VirtualService', 'DestinationRule'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    // host FQDN → subset names, per DestinationRule with its visibility.
    const rules = ctx.list<DestinationRuleView>('DestinationRule').map((dr) => ({
      host: ctx.fqdn(dr.spec.host, dr.metadata.namespace),
      namespace: dr.metadata.namespace,
      scopes: exportScopes(dr.spec.exportTo, dr.metadata.namespace),
      subsets: new Set((dr.spec.subsets ?? []).map((s) => s.name)),
    }));
    const out: Diagnostic[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) {
      const ns = r.metadata.namespace;
      for (const { destination: d, path, mirror } of vsDestinations(r.spec)) {
        if (!d.subset) continue;
        const host = ctx.fqdn(d.host, ns);
        const found = rules.some((dr) => dr.host === host && dr.subsets.has(d.subset!) && (dr.namespace === ns || dr.scopes === '*' || dr.scopes.has(ns)));
        if (!found) {
          out.push(message(Messages.ReferencedResourceNotFound, r, path.slice(0, -1).concat('subset'),
            mirror ? 'mirror+subset in destinationrule' : 'host+subset in destinationrule', `${d.host}+${d.subset}`));
        }
      }
    }
    return out;
  },
};
