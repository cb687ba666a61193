/**
 * Workload selectors of RequestAuthentication and PeerAuthentication must match some workload in
 * their namespace (all namespaces for the root namespace); otherwise the policy does nothing
 * (IST0127). istioctl has no such analyzer for these kinds; Weft reports them with the same code
 * it uses for AuthorizationPolicy. Policies that use targetRef(s) are skipped.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { formatLabels, selectorIsEmpty } from '../../config/labels.js';
import type { PolicyView } from '../views.js';

/** True when a policy targets through `targetRef`/`targetRefs` instead of a selector. */
export function usesTargetRef(spec: PolicyView): boolean {
  return spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0;
}

/** The analyzer. */
export const policySelectorAnalyzer: Analyzer = {
  name: 'security.PolicySelectorAnalyzer',
  description: 'Checks that RequestAuthentication and PeerAuthentication selectors match workloads',
  inputs: ['RequestAuthentication', 'PeerAuthentication', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const kind of ['RequestAuthentication', 'PeerAuthentication']) {
      for (const r of ctx.list<PolicyView>(kind)) {
        if (usesTargetRef(r.spec)) continue;
        const labels = r.spec.selector?.matchLabels;
        if (selectorIsEmpty(labels)) continue;
        const ns = r.metadata.namespace;
        const scope = ns === ctx.mesh.rootNamespace ? undefined : ns;
        if (ctx.selectWorkloads(labels, scope).length === 0) {
          out.push(message(Messages.NoMatchingWorkloadsFound, r, ['spec', 'selector'], formatLabels(labels)));
        }
      }
    }
    return out;
  },
};
