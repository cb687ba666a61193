/**
 * destinationrule.PodNotSelectedAnalyzer: a DestinationRule's host must match a service visible to
 * it (IST0174), and each subset's labels, together with the ServiceEntry's workloadSelector, must
 * select at least one pod of the mesh (IST0173); traffic to an empty subset fails with 503 UH.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { DestinationRuleView } from '../views.js';
import { selectorMatches } from '../../config/labels.js';

/** The analyzer. */
export const podNotSelectedAnalyzer: Analyzer = {
  name: 'destinationrule.PodNotSelectedAnalyzer',
  description: 'Checks that DestinationRule hosts exist and that their subsets select pods',
  inputs: ['DestinationRule', 'Service', 'ServiceEntry', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<DestinationRuleView>('DestinationRule')) {
      const svc = ctx.findService(r.spec.host, r.metadata.namespace);
      if (!svc) {
        out.push(message(Messages.UnknownDestinationRuleHost, r, ['spec', 'host'], r.spec.host));
        continue;
      }
      (r.spec.subsets ?? []).forEach((subset, i) => {
        // Istio merges the ServiceEntry's workloadSelector with the subset labels and matches every pod.
        const selector = { ...(svc.origin.kind === 'ServiceEntry' ? svc.selector ?? {} : {}), ...(subset.labels ?? {}) };
        const endpointMatch = svc.origin.kind === 'ServiceEntry' &&
          svc.ports.some((p) => ctx.snapshot.registry.endpoints(svc, p.port).some((e) => selectorMatches(subset.labels, e.labels)));
        if (!endpointMatch && ctx.selectWorkloads(selector, undefined).length === 0) {
          out.push(message(Messages.DestinationRuleSubsetNotSelectPods, r, ['spec', 'subsets', i, 'name'], subset.name));
        }
      });
    }
    return out;
  },
};
