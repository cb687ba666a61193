/**
 * authz.AuthorizationPoliciesAnalyzer: an AuthorizationPolicy must select some workload (IST0127;
 * policies in the root namespace apply mesh-wide, so they may select pods in any namespace) and the
 * namespaces its rules name must exist (IST0101 `namespace`; `prefix*`, `*suffix` and `*` match as
 * in istioctl, case-insensitively). A root-namespace policy without selector applies mesh-wide and
 * is never reported (istio/istio `pkg/config/analysis/analyzers/authz/authorizationpolicies.go`).
 * Policies using targetRef are skipped.
 * Weft adds IST0167 (IneffectivePolicy) for a CUSTOM policy whose provider is `envoyExtAuthzHttp`
 * when the workloads it selects serve TCP ports: istiod (and Weft) check TCP connections only with
 * `envoyExtAuthzGrpc` providers, so those ports are not checked by the provider at all.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { formatLabels } from '../../config/labels.js';
import type { AuthorizationPolicyView } from '../views.js';
import { usesTargetRef } from './policy-selectors.js';
import { isHttpProtocol } from '../../registry/protocol.js';
import type { Workload } from '../../registry/types.js';
import { selectorIsEmpty, selectorMatches } from '../../config/labels.js';

/** The TCP (non-HTTP, non-UDP) service ports of `workloads`, sorted. */
function tcpPorts(ctx: AnalysisContext, workloads: readonly Workload[]): number[] {
  const out = new Set<number>();
  for (const s of ctx.snapshot.registry.services) {
    if (selectorIsEmpty(s.selector) || !workloads.some((w) => w.namespace === s.namespace && selectorMatches(s.selector, w.labels))) continue;
    for (const p of s.ports) if (p.protocol !== 'UDP' && !isHttpProtocol(p.protocol)) out.add(p.port);
  }
  return [...out].sort((a, b) => a - b);
}

/** istioctl's namespace match of a rule's `namespaces` entry: `*`, `*suffix`, `prefix*`, else equal ignoring case. */
function namespaceMatch(ns: string, exp: string): boolean {
  if (exp === '*') return true;
  if (exp.startsWith('*')) return ns.endsWith(exp.slice(1));
  if (exp.endsWith('*')) return ns.startsWith(exp.slice(0, -1));
  return ns.toLowerCase() === exp.toLowerCase();
}

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
        const meshWide = ns === ctx.mesh.rootNamespace;
        const selected = ctx.selectWorkloads(labels, meshWide ? undefined : ns);
        if (selected.length === 0 && !(meshWide && r.spec.selector === undefined)) {
          out.push(message(Messages.NoMatchingWorkloadsFound, r, labels ? ['spec', 'selector'] : ['metadata', 'name'], formatLabels(labels)));
        }
        const provider = r.spec.action === 'CUSTOM' ? r.spec.provider?.name : undefined;
        if (provider !== undefined && ctx.mesh.extensionProviders.some((p) => p.name === provider && p.envoyExtAuthzHttp)) {
          const ports = tcpPorts(ctx, selected);
          if (ports.length > 0) {
            out.push(message(Messages.IneffectivePolicy, r, ['spec', 'provider', 'name'],
              `CUSTOM provider ${provider} is an envoyExtAuthzHttp provider and does not check TCP traffic, so TCP port(s) ${ports.join(', ')} of the selected workloads are not checked by it`));
          }
        }
      }
      (r.spec.rules ?? []).forEach((rule, i) => {
        (rule.from ?? []).forEach((from, j) => {
          for (const field of ['namespaces', 'notNamespaces'] as const) {
            (from.source?.[field] ?? []).forEach((n, k) => {
              if (ctx.namespaceExists(n) || [...ctx.snapshot.registry.namespaces].some((known) => namespaceMatch(known, n))) return;
              out.push(message(Messages.ReferencedResourceNotFound, r, ['spec', 'rules', i, 'from', j, 'source', field, k], 'namespace', n));
            });
          }
        });
      });
    }
    return out;
  },
};
