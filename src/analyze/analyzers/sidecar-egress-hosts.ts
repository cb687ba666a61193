/**
 * Sidecar egress hosts: an egress entry `ns/host` naming a concrete host (no wildcard) that no
 * service in that namespace provides is a typo the proxy silently ignores (IST0101 `host`).
 * Entries with `*` hosts or namespaces are patterns and are not checked.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import { splitNamespacedHost } from '../../config/hosts.js';
import type { SidecarView } from '../views.js';

/** The analyzer. */
export const sidecarEgressHostAnalyzer: Analyzer = {
  name: 'sidecar.EgressHostAnalyzer',
  description: 'Checks that concrete hosts in Sidecar egress listeners exist',
  inputs: ['Sidecar', 'Service', 'ServiceEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<SidecarView>('Sidecar')) {
      (r.spec.egress ?? []).forEach((listener, i) => {
        (listener.hosts ?? []).forEach((entry, j) => {
          const { namespace, host } = splitNamespacedHost(entry);
          if (host.includes('*') || namespace === '*' || namespace === '~') return;
          const ns = namespace === '.' ? r.metadata.namespace : namespace;
          const found = ctx.snapshot.registry.services.some((s) => s.namespace === ns && (s.hostname === host || s.hostname === ctx.fqdn(host, ns)));
          if (!found) out.push(message(Messages.ReferencedResourceNotFound, r, ['spec', 'egress', i, 'hosts', j], 'host', entry));
        });
      });
    }
    return out;
  },
};
