/**
 * Sidecar `egress[].bind` (issue 12): istiod builds an egress listener that names a `bind` address
 * (and a port) as its own listener `<bind>_<port>` on that address, bound to the port when the
 * proxy does not capture traffic (pilot/pkg/networking/core/listener.go, buildSidecarOutboundListeners:
 * `bindToPort` for captureMode NONE; the listener key is bind+port). Its HTTP connection manager
 * uses the route configuration of the port (`RDS <port>`), whose virtual hosts istiod takes from
 * the egress listener that claims the port (SidecarScope.GetEgressListenerForRDS), so only that
 * entry's hosts are routed; a TCP port proxies to the entry's services.
 *
 * Weft's proxies are explicit (no iptables), so every such listener binds its port: the proxy
 * opens `<bind>:<port>` in addition to its outbound HTTP proxy (src/proxy/listener/egress-bind.ts decides the
 * address it listens on under `weft up`). `unix://` binds (port 0) are not built.
 */
import net from 'node:net';
import type { Listener } from '../../envoy/types.js';
import type { ProxyScope } from '../proxy-scope.js';

/** Metadata key under `istio` naming the Sidecar a bound egress listener comes from (as istiod's `istio.config`). */
export const SIDECAR_CONFIG_KEY = 'config';

/**
 * One listener `<bind>_<port>` per egress entry with an IP `bind` and a port, built from the port's
 * own outbound listener (`0.0.0.0_<port>` in `portListeners`): same filter chains, bound to the port.
 */
export function buildEgressBindListeners(scope: ProxyScope, portListeners: readonly Listener[]): Listener[] {
  const sidecar = scope.sidecar;
  if (!sidecar) return [];
  const out: Listener[] = [];
  const seen = new Set<string>();
  for (const e of sidecar.spec.egress ?? []) {
    const port = e.port?.number;
    const bind = e.bind;
    if (!bind || !port || net.isIP(bind) === 0) continue;
    const name = `${bind}_${port}`;
    if (seen.has(name)) continue;
    const base = portListeners.find((l) => l.name === `0.0.0.0_${port}`);
    if (!base) continue;
    seen.add(name);
    const { bindToPort: _unbound, ...rest } = base;
    out.push({
      ...rest,
      name,
      address: { socketAddress: { address: bind, portValue: port } },
      bindToPort: { value: true },
      metadata: { filterMetadata: { istio: { fields: { [SIDECAR_CONFIG_KEY]: { stringValue: `/apis/networking.istio.io/v1/namespaces/${sidecar.metadata.namespace}/sidecar/${sidecar.metadata.name}` } } } } },
    });
  }
  return out;
}
