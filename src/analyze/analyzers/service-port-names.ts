/**
 * service.PortNameAnalyzer: Kubernetes Service ports should be named `<protocol>[-<suffix>]` or set
 * `appProtocol`, so the mesh knows their protocol instead of sniffing it (IST0118, Info).
 * System namespaces and ExternalName services are skipped, as istioctl does.
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
      if (r.spec.type === 'ExternalName') continue;
      (r.spec.ports ?? []).forEach((p, i) => {
        if ((p.protocol ?? 'TCP').toUpperCase() === 'UDP') return;
        if (protocolForPort({ name: p.name, appProtocol: p.appProtocol }) !== 'UNKNOWN') return;
        out.push(message(Messages.PortNameIsNotUnderNamingConvention, r, ['spec', 'ports', i], p.name ?? '', p.port, String(p.targetPort ?? p.port)));
      });
    }
    return out;
  },
};
