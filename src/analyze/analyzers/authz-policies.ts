/**
 * authz.AuthorizationPoliciesAnalyzer: an AuthorizationPolicy must select some workload (IST0127;
 * policies in the root namespace apply mesh-wide, so they may select pods in any namespace) and the
 * namespaces its rules name must exist (IST0101 `namespace`). Policies using targetRef are skipped.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { formatLabels } from '../../model/labels.js';
import type { AuthorizationPolicyView } from '../views.js';
import { usesTargetRef } from './policy-selectors.js';

/** The analyzer. */
export const authorizationPoliciesAnalyzer: Analyzer = {
  name: 'auth.AuthorizationPoliciesAnalyzer',
  description: 'Checks the prerequisites for applying authorization policies',
  inputs: ['AuthorizationPolicy', 'Namespace', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<AuthorizationPolicyView>('AuthorizationPolicy')) {
      const ns = r.metadata.namespace;
      if (!usesTargetRef(r.spec)) {
        const labels = r.spec.selector?.matchLabels;
        const scope = ns === ctx.mesh.rootNamespace ? undefined : ns;
        if (ctx.selectWorkloads(labels, scope).length === 0) {
          out.push(message(Messages.NoMatchingWorkloadsFound, r, labels ? ['spec', 'selector'] : ['metadata', 'name'], formatLabels(labels)));
        }
      }
      (r.spec.rules ?? []).forEach((rule, i) => {
        (rule.from ?? []).forEach((from, j) => {
          for (const field of ['namespaces', 'notNamespaces'] as const) {
            (from.source?.[field] ?? []).forEach((n, k) => {
              if (n.includes('*') || ctx.namespaceExists(n)) return;
              out.push(message(Messages.ReferencedResourceNotFound, r, ['spec', 'rules', i, 'from', j, 'source', field, k], 'namespace', n));
            });
          }
        });
      });
    }
    return out;
  },
};
