/**
 * Where TCP connections go, selected at push time from the push's compiled listeners
 * (compiled-listener.ts, which compiled every chain's `envoy.filters.network.tcp_proxy` into a
 * {@link TcpRoute} once, with its network RBAC and stats policy; a bad RBAC config NACKed the push).
 * Entry points:
 * - sidecar outbound: the `0.0.0.0_<port>` listeners of TCP service ports (not bound by Envoy);
 *   a connection for `host:port` takes the chain named for that host (`outbound|<port>||<fqdn>`),
 *   else the port's only service chain, else the listener's default chain (passthrough/blackhole);
 * - sidecar inbound: `virtualInbound` chains by destination port, plaintext and mTLS;
 * - gateway: bound listeners whose chain (matched as a plaintext connection) is a TCP proxy.
 */
import { isNetworkRbacFilter } from '../../envoy/rbac/network-rbac.js';
import type { DownstreamTlsContext, FilterChain } from '../../envoy/types.js';
import { compiledChainOf, inboundChainPorts, type CompiledListener } from './compiled-listener.js';
import type { RuntimeSnapshot } from './runtime-snapshot.js';
import { isTlsGatewayListener } from './gateway-tls-plan.js';
import { chainRbac } from './chain-rbac.js';
import { compileChainTcpRoute, type TcpRoute } from './tcp-route.js';

export { compileTcpRoute, tcpProxyOf, type TcpRoute } from './tcp-route.js';

/** An inbound TCP port: plaintext and/or mTLS chains. */
export interface InboundTcpPort {
  readonly port: number;
  readonly plaintext: TcpRoute | undefined;
  readonly tls: { readonly route: TcpRoute; readonly context: DownstreamTlsContext; readonly requireClientCertificate: boolean } | undefined;
}

/** A sidecar outbound TCP service port. */
export interface OutboundTcpPort {
  readonly port: number;
  /** Chains by the host they serve (FQDN), from `outbound|<port>||<fqdn>` names. */
  readonly byHost: ReadonlyMap<string, TcpRoute>;
  /** The chain used when the host is unknown (single-service ports) or absent. */
  readonly fallback: TcpRoute | undefined;
}

/** Every TCP entry point of one snapshot. */
export interface TcpEntryPoints {
  readonly outbound: ReadonlyMap<number, OutboundTcpPort>;
  /** The `virtualOutbound` default chain (PassthroughCluster / BlackHoleCluster). */
  readonly outboundDefault: TcpRoute | undefined;
  readonly inbound: ReadonlyMap<number, InboundTcpPort>;
  /** Gateway TCP listeners by listener name. */
  readonly gateways: ReadonlyMap<string, { readonly port: number; readonly route: TcpRoute }>;
}

const cache = new WeakMap<RuntimeSnapshot, TcpEntryPoints>();

/** The TCP entry points of `snapshot` (selected at push time for the snapshot's pod IP). */
export function tcpEntryPoints(snapshot: RuntimeSnapshot, podIp: string): TcpEntryPoints {
  if (podIp === snapshot.compiled.podIp) return snapshot.compiled.tcp;
  let e = cache.get(snapshot);
  if (e === undefined) {
    e = compileTcpEntryPoints(snapshot.compiled.listeners, podIp);
    cache.set(snapshot, e);
  }
  return e;
}

const laxRoutes = new WeakMap<FilterChain, TcpRoute | undefined>();

/**
 * The TCP route of a filter chain (its tcp_proxy and network RBAC), undefined for HCM chains: the
 * compiled chain of an accepted listener (compiled-listener.ts), else — for a chain object no push
 * compiled — compiled here with a bad RBAC config denying every connection (fail closed).
 */
export function tcpRouteOfChain(chain: FilterChain | undefined, fallbackName: string): TcpRoute | undefined {
  if (chain === undefined) return undefined;
  const compiled = compiledChainOf(chain);
  if (compiled !== undefined) return compiled.tcp;
  if (laxRoutes.has(chain)) return laxRoutes.get(chain);
  const name = chain.name ?? fallbackName;
  const rbac = chain.filters?.some(isNetworkRbacFilter) ? chainRbac(chain, name) : undefined;
  const r = compileChainTcpRoute(chain, name, rbac);
  laxRoutes.set(chain, r);
  return r;
}

/** Selects the TCP entry points from a push's compiled listeners (no compilation: the chains are compiled). */
export function compileTcpEntryPoints(listeners: ReadonlyMap<string, CompiledListener>, podIp: string): TcpEntryPoints {
  const outbound = new Map<number, OutboundTcpPort>();
  const inbound = new Map<number, InboundTcpPort>();
  const gateways = new Map<string, { port: number; route: TcpRoute }>();
  let outboundDefault: TcpRoute | undefined;
  for (const [name, cl] of listeners) {
    const l = cl.config;
    const port = l.address?.socketAddress?.portValue;
    if (name === 'virtualOutbound') outboundDefault = cl.defaultChain?.tcp;
    else if (name === 'virtualInbound') compileInbound(cl, podIp, inbound);
    else if (port === undefined) continue;
    else if (l.bindToPort !== undefined && l.bindToPort.value !== true) {
      const byHost = new Map<string, TcpRoute>();
      let only: TcpRoute | undefined;
      // Distinct chains by name: an auto-protocol port repeats a service's TCP chain per transport.
      const distinct = new Set<string>();
      for (const fc of cl.chains) {
        const r = fc.tcp;
        if (!r) continue;
        distinct.add(r.name);
        only = r;
        const m = /^outbound\|\d+\|[^|]*\|(.+)$/.exec(fc.config.name ?? '');
        if (m) byHost.set(m[1]!, r);
      }
      if (distinct.size > 0) outbound.set(port, { port, byHost, fallback: distinct.size === 1 && !l.filterChains?.some((f) => f.filterChainMatch?.serverNames?.length) ? only : cl.defaultChain?.tcp });
    } else {
      // TLS gateway listeners (SNI, termination, PASSTHROUGH) belong to src/proxy/listener/gateway-dispatch.ts.
      if (isTlsGatewayListener(l)) continue;
      const chain = cl.select({ destinationIp: '127.0.0.1', destinationPort: port, transportProtocol: 'raw_buffer', sourceIp: '127.0.0.1', sourcePort: 0 });
      if (!chain || chain.transport) continue;
      if (chain.tcp) gateways.set(name, { port, route: chain.tcp });
    }
  }
  return { outbound, outboundDefault, inbound, gateways };
}

function compileInbound(l: CompiledListener, podIp: string, out: Map<number, InboundTcpPort>): void {
  const ports = inboundChainPorts(l);
  const base = { destinationIp: podIp, sourceIp: '127.0.0.1', sourcePort: 0 };
  for (const port of ports) {
    const raw = l.select({ ...base, destinationPort: port, transportProtocol: 'raw_buffer' });
    const tls = l.select({ ...base, destinationPort: port, transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] });
    // Only ports whose own chains are TCP proxies (not the passthrough default, not HTTP ports).
    const own = (c: typeof raw) => c !== undefined && c.match?.destinationPort?.value === port;
    const plain = own(raw) && !raw!.transport ? raw!.tcp : undefined;
    const t = own(tls) ? tls!.transport : undefined;
    const tlsRoute = t ? tls!.tcp : undefined;
    if (!plain && !tlsRoute) continue;
    out.set(port, {
      port,
      plaintext: plain,
      tls: tlsRoute && t ? { route: tlsRoute, context: t.context, requireClientCertificate: t.requireClientCertificate } : undefined,
    });
  }
}

/** The route for an outbound connection to `host:port` (CONNECT target or a bound per-port listener). */
export function outboundTcpRoute(entries: TcpEntryPoints, host: string | undefined, port: number, namespace: string): TcpRoute | undefined {
  const p = entries.outbound.get(port);
  if (p === undefined) return undefined;
  if (host !== undefined && host !== '') {
    const h = host.toLowerCase();
    for (const candidate of [h, `${h}.${namespace}.svc.cluster.local`, `${h}.svc.cluster.local`, `${h}.cluster.local`]) {
      const r = p.byHost.get(candidate);
      if (r) return r;
    }
  }
  return p.fallback;
}
