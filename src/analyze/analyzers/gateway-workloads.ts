/**
 * Helpers shared by the Gateway analyzers: which pods a Gateway's selector picks (in every
 * namespace, as istiod selects gateway pods by default), and the selector's text and location.
 */
import type { Resource } from '../../config/resource.js';
import type { AnalysisContext } from '../context.js';
import type { Workload } from '../../registry/types.js';
import { formatLabels } from '../../config/labels.js';
import type { GatewayView } from '../views.js';

/** Pods selected by a Gateway. */
export function gatewayPods(ctx: AnalysisContext, gw: Resource<GatewayView>): readonly Workload[] {
  return ctx.selectWorkloads(gw.spec.selector ?? {}, undefined);
}

/** The selector as Kubernetes prints it (`istio=ingressgateway`) and the path of its first label. */
export function gatewaySelector(gw: Resource<GatewayView>): { text: string; path: (string | number)[] } {
  const labels = gw.spec.selector ?? {};
  const first = Object.keys(labels).sort()[0];
  return { text: formatLabels(labels), path: first ? ['spec', 'selector', first] : ['spec', 'selector'] };
}
