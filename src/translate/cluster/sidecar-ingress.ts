/**
 * A Sidecar's `ingress` listeners and inbound connection pools, as istiod reads them
 * (pilot/pkg/networking/core/listener_inbound.go `buildInboundChainConfigs`, cluster.go
 * `buildInboundClustersFromSidecar`, model/sidecar.go `InboundConnectionPoolForPort`):
 * - when the Sidecar that applies to a workload has `ingress` listeners, they alone define its
 *   inbound ports (Istio's default, `PILOT_ALLOW_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE` off): one
 *   port per listener, `port.number` being the port traffic arrives on (no targetPort), its protocol
 *   from `port.protocol` (unknown/empty: detected per connection, listener/inbound-auto-chains.ts);
 * - `defaultEndpoint` says where the inbound cluster sends: `127.0.0.1:P`/`[::1]:P` (the pod's
 *   localhost) and `0.0.0.0:P`/`[::]:P` (the instance IP) both reach the app on port P; unset, the
 *   original destination (the app on the listener's port). Under `weft up` the app listens on its own
 *   loopback address (`HOST`, the proxy's `appAddress`), which plays both roles there;
 * - `bind` is where the listener accepts (Weft's proxies bind every inbound port, as Istio does for
 *   `captureMode: NONE`); unset, the pod IP;
 * - the service of a listener is the one whose target port is the listener's port, else a synthetic
 *   `<sidecar>.<namespace>` (telemetry and the route decorator);
 * - a port's connection pool is `ingress[port].connectionPool`, else `inboundConnectionPool`; it
 *   replaces the DestinationRule's connection pool on that inbound cluster (cluster_builder.go
 *   `buildInboundCluster`), other DestinationRule settings staying as they are.
 */
import type { ConnectionPoolSettings } from '../../config/schema/destination-rule.js';
import type { IstioIngressListener, SidecarSpec } from '../../config/schema/sidecar.js';
import type { Resource } from '../../config/resource.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { parseProtocol } from '../../registry/protocol.js';
import type { Protocol, Service, ServicePort } from '../../registry/types.js';
import { findSidecar } from '../proxy-scope.js';

/** Prefix of a unix domain socket address in Istio's API. */
export const UNIX_ADDRESS_PREFIX = 'unix://';

/** Where an inbound cluster sends: an address and port, or a unix domain socket path. */
export type IngressEndpoint = { readonly kind: 'ip'; readonly address: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** One inbound port defined by a Sidecar ingress listener. */
export interface SidecarIngressPort {
  /** The port traffic arrives on (the listener's `port.number`). */
  readonly port: number;
  /** The listener's protocol (`port.protocol`; unset or unknown: detected, `UNKNOWN`). */
  readonly protocol: Protocol;
  /** The service (real, or synthetic) the port belongs to, and its port. */
  readonly service: Service;
  readonly servicePort: ServicePort;
  /** Address the listener binds (undefined: the pod IP). */
  readonly bind: string | undefined;
  readonly endpoint: IngressEndpoint;
  /** The Sidecar listener itself (tls, connectionPool). */
  readonly listener: IstioIngressListener;
  /** The real service found for the port (DestinationRule lookup) and its port, if any. */
  readonly realService: Service | undefined;
  readonly realServicePort: ServicePort | undefined;
}

/** The Sidecar applying to a sidecar proxy, when it has ingress listeners. */
function ingressSidecar(snapshot: MeshSnapshot, node: ProxyNode): Resource<SidecarSpec> | undefined {
  if (node.role !== 'sidecar') return undefined;
  const sc = findSidecar(snapshot, node);
  return sc && (sc.spec.ingress ?? []).length > 0 ? sc : undefined;
}

/**
 * The inbound ports of a sidecar from its Sidecar's ingress listeners, sorted by port; undefined
 * when no Sidecar with ingress listeners applies (inbound ports then come from the services).
 * `targets` are the workload's service ports (`inboundTargets`), in istiod's order.
 * Listeners on a port already taken are skipped (istiod keeps the first).
 */
export function sidecarIngressPorts(
  snapshot: MeshSnapshot, node: ProxyNode, targets: readonly { readonly service: Service; readonly port: ServicePort; readonly targetPort: number }[],
): SidecarIngressPort[] | undefined {
  const sc = ingressSidecar(snapshot, node);
  if (!sc) return undefined;
  const appAddress = node.appAddress ?? node.ip;
  const out = new Map<number, SidecarIngressPort>();
  for (const l of sc.spec.ingress ?? []) {
    const port = l.port?.number ?? 0;
    // Port 0 (unix socket binds) has no TCP port for Weft to listen on; Istio binds the socket itself.
    if (port <= 0 || out.has(port)) continue;
    const endpoint = parseDefaultEndpoint(l.defaultEndpoint, port, appAddress);
    if (!endpoint) continue;
    // `tls` is not applied (Istio applies it only behind ENABLE_TLS_ON_SIDECAR_INGRESS, off by
    // default): an HTTPS/TLS port stays TLS and is proxied as TCP to the app, which terminates it.
    const protocol: Protocol = parseProtocol(l.port?.protocol) ?? 'UNKNOWN';
    const real = targets.find((t) => t.targetPort === port);
    const servicePort: ServicePort = { name: l.port?.name ?? '', port, protocol };
    const service: Service = real?.service ?? syntheticService(sc);
    out.set(port, { port, protocol, service, servicePort, bind: l.bind, endpoint, listener: l, realService: real?.service, realServicePort: real?.port });
  }
  return [...out.values()].sort((a, b) => a.port - b.port);
}

/**
 * Istio's `InboundConnectionPoolForPort`: the ingress listener's connection pool for `port`, else
 * the Sidecar's `inboundConnectionPool`, else undefined (the DestinationRule's applies).
 */
export function inboundConnectionPoolForPort(snapshot: MeshSnapshot, node: ProxyNode, port: number): ConnectionPoolSettings | undefined {
  if (node.role !== 'sidecar') return undefined;
  const sc = findSidecar(snapshot, node);
  if (!sc) return undefined;
  const listener = (sc.spec.ingress ?? []).find((l) => (l.port?.number ?? 0) === port && l.connectionPool !== undefined);
  return listener?.connectionPool ?? sc.spec.inboundConnectionPool;
}

/**
 * Parses `defaultEndpoint` (validated by the schema): `unix://…` as is; `HOST:PORT` with any of
 * Istio's four hosts to the app's address; unset to the app on the listener's own port.
 */
export function parseDefaultEndpoint(value: string | undefined, listenerPort: number, appAddress: string): IngressEndpoint | undefined {
  if (value === undefined || value === '') return { kind: 'ip', address: appAddress, port: listenerPort };
  if (value.startsWith(UNIX_ADDRESS_PREFIX)) return { kind: 'unix', path: value.slice(UNIX_ADDRESS_PREFIX.length) };
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { kind: 'ip', address: appAddress, port };
}

/** istiod's `findOrCreateService` fallback: a service named after the Sidecar, for telemetry. */
function syntheticService(sc: Resource<SidecarSpec>): Service {
  const { name, namespace } = sc.metadata;
  return {
    hostname: `${name}.${namespace}`, name, namespace, ports: [], addresses: [], resolution: 'STATIC', meshExternal: true,
    exportTo: '*', labels: {}, origin: { kind: 'Sidecar', namespace, name },
  };
}
