/**
 * Outbound connections to a port whose listener runs listener filters (istiod's auto-protocol
 * ports, src/translate/listener/protocol-sniffing.ts): the inspectors read the client's first
 * bytes (protocol-inspector.ts), then the listener's filter chain is chosen with Envoy's matching
 * (src/envoy/filter-chain-matcher.ts) on the destination, transport, SNI and ALPN, and the
 * connection goes to the chain's network filter: the HTTP connection manager (handed to the
 * sidecar's outbound HTTP listener, HTTP/1.1 or h2c) or the TCP proxy.
 *
 * Weft proxies are explicit (design.md §2): the destination is the CONNECT target or the bound
 * per-port listener's own address. A literal IP is matched as is; a name resolves to the VIP of
 * the service chain named for it (`outbound|<port>||<fqdn>`), as cluster DNS would, and a TCP
 * decision for a named service keeps that service's chain.
 */
import { isIP, type Socket } from 'node:net';
import type { FilterChain, Listener } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { ProxyContext } from '../listener/proxy-context.js';
import type { RuntimeSnapshot } from '../listener/runtime-snapshot.js';
import { inspectConnection, listenerInspectors } from './protocol-inspector.js';
import { proxyTcp, type TcpConnectionOptions } from './tcp-connection.js';
import { outboundTcpRoute, tcpEntryPoints, tcpRouteOfChain } from '../listener/tcp-routes.js';
import { selectCompiledChain } from './select-chain.js';

const HCM = 'envoy.filters.network.http_connection_manager';

/** The outbound listener of `port` when it inspects connections (auto protocol, TLS SNI); else undefined. */
export function inspectingOutboundListener(snapshot: RuntimeSnapshot, port: number): Listener | undefined {
  const l = snapshot.resources.listeners.get(`0.0.0.0_${port}`);
  if (l === undefined || l.bindToPort?.value === true) return undefined;
  const cfg = listenerInspectors(l);
  if (cfg.http) return l;
  return cfg.tls && (l.filterChains ?? []).some((fc) => (fc.filterChainMatch?.serverNames?.length ?? 0) > 0) ? l : undefined;
}

/** Where the connection was going and how to reach the HTTP side. */
export interface SniffedOutboundOptions {
  readonly podIp: string;
  readonly namespace: string;
  readonly port: number;
  /** The CONNECT target host (name or IP); absent for the bound per-port listener. */
  readonly host?: string;
  /** Serves the socket as HTTP (the sidecar's outbound HTTP listener). */
  readonly deliverHttp: (socket: Socket) => void;
  /** Passed to the TCP proxy (CONNECT answers, original destination). */
  readonly tcp?: Omit<TcpConnectionOptions, 'inbound'>;
}

function isHcmChain(chain: FilterChain): boolean {
  return (chain.filters ?? []).some((f) => f.name === HCM || f.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
}

/** The VIP a service name resolves to on this listener (first address of its named chain). */
function vipForName(listener: Listener, host: string, port: number, namespace: string): string | undefined {
  const h = host.toLowerCase();
  const names = new Set([h, `${h}.${namespace}.svc.cluster.local`, `${h}.svc.cluster.local`, `${h}.cluster.local`].map((n) => `outbound|${port}||${n}`));
  for (const fc of listener.filterChains ?? []) {
    if (!names.has(fc.name ?? '')) continue;
    const a = fc.filterChainMatch?.prefixRanges?.[0]?.addressPrefix;
    if (a) return a;
  }
  return undefined;
}

/** Inspects `socket` and hands it to the chain `listener` selects (or closes it). */
export function dispatchSniffed(ctx: ProxyContext, socket: Socket, listener: Listener, opts: SniffedOutboundOptions): void {
  inspectConnection(socket, listenerInspectors(listener), (p) => {
    if (p === undefined) return;
    const host = opts.host;
    const destinationIp = host !== undefined && isIP(host) ? host : (host !== undefined ? vipForName(listener, host, opts.port, opts.namespace) : undefined) ?? socket.localAddress ?? opts.podIp;
    const chain = selectCompiledChain(listener, {
      destinationIp, destinationPort: opts.port, transportProtocol: p.transportProtocol,
      ...(p.serverName !== undefined ? { serverName: p.serverName } : {}), applicationProtocols: p.applicationProtocols,
      sourceIp: socket.remoteAddress ?? opts.podIp, sourcePort: socket.remotePort ?? 0,
    });
    if (chain === undefined) {
      socket.destroy();
      return;
    }
    if (isHcmChain(chain)) {
      opts.deliverHttp(socket);
      socket.resume();
      return;
    }
    // A TCP decision for a named service keeps that service's chain (names stand for VIPs).
    const named = host !== undefined && !isIP(host) && chain === listener.defaultFilterChain
      ? outboundTcpRoute(tcpEntryPoints(ctx.snapshot, opts.podIp), host, opts.port, opts.namespace)
      : undefined;
    const route = named ?? tcpRouteOfChain(chain, listener.name ?? `0.0.0.0_${opts.port}`);
    if (route === undefined) {
      socket.destroy();
      return;
    }
    socket.allowHalfOpen = true;
    proxyTcp(ctx, socket, route, { inbound: false, ...opts.tcp });
  });
}
