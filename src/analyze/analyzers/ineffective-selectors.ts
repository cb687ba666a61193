/**
 * k8sgateway.SelectorAnalyzer: a policy whose `selector` picks pods of a Kubernetes Gateway
 * (`gateway.networking.k8s.io/gateway-name` label) has no effect there; such gateways take policies
 * through `targetRef` (IST0166). Applies to AuthorizationPolicy, RequestAuthentication and Telemetry.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { selectorIsEmpty } from '../../config/labels.js';
import type { PolicyView } from '../views.js';
import { usesTargetRef } from './policy-selectors.js';

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The analyzer. */
export const ineffectiveSelectorAnalyzer: Analyzer = {
  name: 'k8sgateway.SelectorAnalyzer',
  description: 'Check if a policy uses a selector that matches a Kubernetes Gateway',
  inputs: ['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const kind of ['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry']) {
      for (const r of ctx.list<PolicyView>(kind)) {
        const labels = r.spec.selector?.matchLabels;
        if (selectorIsEmpty(labels) || usesTargetRef(r.spec)) continue;
        const gwPod = ctx.selectWorkloads(labels, r.metadata.namespace).find((w) => w.labels[GATEWAY_NAME_LABEL]);
        if (gwPod) out.push(message(Messages.IneffectiveSelector, r, ['spec', 'selector'], gwPod.labels[GATEWAY_NAME_LABEL]!));
      }
    }
    return out;
  },
};
