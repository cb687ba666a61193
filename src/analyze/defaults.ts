/**
 * The built-in ingress gateway, as `weft up` runs it (and as istioctl adds a stand-in ingress
 * gateway when analyzing files only): a pod labelled with the mesh's ingress selector
 * (`istio: ingressgateway`) in the root namespace, behind an `istio-ingressgateway` Service that
 * forwards 80 → 8080 and 443 → 8443. Without it every Bookinfo-style Gateway would be reported as
 * selecting nothing. It is added only when the user's files define no workload with those labels.
 */
import type { Resource } from '../config/resource.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { selectorMatches } from '../config/labels.js';

/** The pseudo file name messages about the built-in resources would carry (istioctl's name). */
export const INTERNAL_INGRESS_FILE = 'internal-ingress';

function builtin(kind: string, apiVersion: string, name: string, namespace: string, spec: unknown): Resource {
  const source = { file: INTERNAL_INGRESS_FILE, line: 1, column: 1 };
  return Object.freeze({ apiVersion, kind, metadata: Object.freeze({ name, namespace }), spec, source, locate: () => source });
}

/** Resources standing in for Weft's own ingress gateway, unless the user's resources provide one. */
export function defaultIngressResources(resources: readonly Resource[], mesh: MeshConfig): Resource[] {
  const labels = mesh.ingressGatewaySelector;
  const provided = resources.some((r) => {
    if (r.kind === 'Deployment') {
      const tpl = (r.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template;
      return selectorMatches(labels, tpl?.metadata?.labels ?? {});
    }
    // A bare Pod (issue 12's workload source) carries its labels in its metadata.
    if (r.kind === 'Pod') return selectorMatches(labels, r.metadata.labels ?? {});
    if (r.kind === 'WorkloadEntry') return selectorMatches(labels, (r.spec as { labels?: Record<string, string> }).labels ?? r.metadata.labels ?? {});
    return false;
  });
  if (provided) return [];
  const ns = mesh.rootNamespace;
  return [
    builtin('Deployment', 'apps/v1', 'istio-ingressgateway', ns, {
      replicas: 1,
      selector: { matchLabels: { ...labels } },
      template: { metadata: { labels: { ...labels } }, spec: { containers: [{ name: 'istio-proxy', ports: [{ containerPort: 8080 }, { containerPort: 8443 }] }] } },
    }),
    builtin('Service', 'v1', 'istio-ingressgateway', ns, {
      selector: { ...labels },
      ports: [
        { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
    }),
  ];
}
