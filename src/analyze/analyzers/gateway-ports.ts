/**
 * gateway.IngressGatewayPortAnalyzer: a Gateway's selector must match gateway pods (IST0101
 * `selector`), and each server port should be one the pods' Service forwards to (IST0162). Weft
 * accepts the Service `port` as well as its `targetPort`, since Weft's gateway answers on both
 * (design.md §3: `number: 80` and `number: 8080` are served alike).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { selectorIsEmpty, selectorMatches } from '../../config/labels.js';
import type { GatewayView, KubeServiceView } from '../views.js';
import { gatewayPods, gatewaySelector } from './gateway-workloads.js';

/** The analyzer. */
export const ingressGatewayPortAnalyzer: Analyzer = {
  name: 'gateway.IngressGatewayPortAnalyzer',
  description: "Checks a gateway's ports against the gateway's Kubernetes service ports",
  inputs: ['Gateway', 'Deployment', 'WorkloadEntry', 'Service'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    const services = ctx.list<KubeServiceView>('Service');
    for (const gw of ctx.list<GatewayView>('Gateway')) {
      const pods = gatewayPods(ctx, gw);
      const sel = gatewaySelector(gw);
      if (pods.length === 0) {
        out.push(message(Messages.ReferencedResourceNotFound, gw, sel.path, 'selector', sel.text));
        continue;
      }
      const ports = new Set<number>();
      for (const pod of pods) {
        for (const svc of services) {
          if (svc.metadata.namespace !== pod.namespace || selectorIsEmpty(svc.spec.selector) || !selectorMatches(svc.spec.selector, pod.labels)) continue;
          for (const p of svc.spec.ports ?? []) {
            if ((p.protocol ?? 'TCP').toUpperCase() !== 'TCP') continue;
            ports.add(p.port);
            const target = typeof p.targetPort === 'number' ? p.targetPort : typeof p.targetPort === 'string' ? pod.namedPorts[p.targetPort] : undefined;
            if (target !== undefined) ports.add(target);
          }
        }
      }
      for (const server of gw.spec.servers ?? []) {
        const n = server.port?.number;
        if (n !== undefined && !ports.has(n)) out.push(message(Messages.GatewayPortNotDefinedOnService, gw, sel.path, n, sel.text));
      }
    }
    return out;
  },
};
