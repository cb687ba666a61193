/**
 * service.PortNameAnalyzer: Kubernetes Service ports should be named `<protocol>[-<suffix>]` or set
 * `appProtocol`, so the mesh knows their protocol instead of sniffing it (IST0118, Info).
 * System namespaces are skipped. On an ExternalName service the same check (and any port named
 * exactly `tcp`) is IST0150 ExternalNameServiceTypeInvalidPortName instead, as istioctl reports it
 * (istio/istio `pkg/config/analysis/analyzers/service/portname.go`).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { protocolForPort } from '../../registry/protocol.js';
import type { KubeServiceView } from '../views.js';

const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** The analyzer. */
export const portNameAnalyzer: Analyzer = {
  name: 'service.PortNameAnalyzer',
  description: 'Checks the port names associated with each service',
  inputs: ['Service'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<KubeServiceView>('Service')) {
      if (SYSTEM_NAMESPACES.has(r.metadata.namespace) || r.metadata.namespace === ctx.mesh.rootNamespace) continue;
      const externalName = r.spec.type === 'ExternalName';
      (r.spec.ports ?? []).forEach((p, i) => {
        if ((p.protocol ?? 'TCP').toUpperCase() === 'UDP') return;
        const unknown = protocolForPort({ name: p.name, appProtocol: p.appProtocol }) === 'UNKNOWN';
        if (externalName) {
          if (unknown || p.name === 'tcp') out.push(message(Messages.ExternalNameServiceTypeInvalidPortName, r, ['spec', 'ports', i]));
          return;
        }
        if (!unknown) return;
        out.push(message(Messages.PortNameIsNotUnderNamingConvention, r, ['spec', 'ports', i], p.name ?? '', p.port, String(p.targetPort ?? p.port)));
      });
    }
    return out;
  },
};
