/**
 * A gateway listener that speaks TLS, compiled for connection dispatch: its filter chains (one per
 * Gateway server, selected by SNI `serverNames` with Envoy's exact-then-wildcard rules), each either
 * terminating TLS (a DownstreamTlsContext, then an HTTP connection manager or a TCP proxy) or
 * passing the raw bytes through (PASSTHROUGH: a TCP proxy to the cluster of a VirtualService `tls`
 * route). Built once per runtime snapshot; connections pick their chain from the ClientHello.
 */
import type { NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import type { DownstreamTlsContext, FilterChain, Listener, TcpProxy } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { CompiledListener } from './compiled-listener.js';
import type { HcmRuntime } from '../hcm/hcm-runtime.js';

const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
const TCP_PROXY_NAME = 'envoy.filters.network.tcp_proxy';

/** One filter chain of a TLS gateway listener. */
export interface GatewayChainRuntime {
  /** Chain name (`<ns>/<gateway>/<server>`), for logs and stats. */
  readonly name: string;
  /** The TLS context when the chain terminates TLS; undefined for PASSTHROUGH chains. */
  readonly tls: DownstreamTlsContext | undefined;
  /** The HTTP connection manager behind TLS (HTTPS servers). */
  readonly hcm: HcmRuntime | undefined;
  /** The TCP proxy (TLS servers, PASSTHROUGH): `cluster` or `weightedClusters`. */
  readonly tcpProxy: TcpProxy | undefined;
  /** The chain's network RBAC (AuthorizationPolicy on TCP), checked before `tcpProxy` connects. */
  readonly rbac: readonly NetworkRbacStage[] | undefined;
}

/** What the dispatcher knows about a new connection. */
export interface GatewayConnection {
  readonly serverName?: string;
  readonly alpn: readonly string[];
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** A TLS gateway listener's chains. */
export interface GatewayTlsPlan {
  readonly listenerName: string;
  readonly chains: readonly GatewayChainRuntime[];
  /** The chain for a connection (undefined: no chain matches; the connection is closed). */
  select(conn: GatewayConnection): GatewayChainRuntime | undefined;
}

/**
 * True when the gateway listener expects TLS (SNI matches or TLS transport sockets). istiod puts
 * tls_inspector on every non-HTTP gateway listener, so it alone does not make one TLS: a plain TCP
 * server (`protocol: TCP`, hosts `*`) has neither and is served by src/proxy/tcp.
 */
export function isTlsGatewayListener(l: Listener): boolean {
  return (l.filterChains ?? []).some((c) => c.transportSocket !== undefined || (c.filterChainMatch?.serverNames?.length ?? 0) > 0);
}

/**
 * A TLS gateway listener's plan, read from its compiled chains (compiled-listener.ts: each
 * chain's TLS context, HTTP connection manager and network RBAC compiled once per push).
 */
export function compileGatewayTls(l: CompiledListener): GatewayTlsPlan {
  const byChain = new Map<FilterChain, GatewayChainRuntime>();
  for (const c of [...l.chains, ...(l.defaultChain ? [l.defaultChain] : [])]) {
    byChain.set(c.config, { name: c.name, tls: c.transport?.context, hcm: c.http, tcpProxy: tcpProxyOf(c.config), rbac: c.rbac });
  }
  return {
    listenerName: l.name,
    chains: [...byChain.values()],
    select(conn) {
      const c = l.select({
        destinationIp: conn.localAddress, destinationPort: conn.localPort, serverName: conn.serverName, transportProtocol: 'tls',
        applicationProtocols: conn.alpn, sourceIp: conn.remoteAddress, sourcePort: conn.remotePort,
      });
      return c ? byChain.get(c.config) : undefined;
    },
  };
}

function tcpProxyOf(chain: FilterChain): TcpProxy | undefined {
  const f = chain.filters?.find((x) => x.name === TCP_PROXY_NAME || x.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  return f?.typedConfig as TcpProxy | undefined;
}

/** The cluster a new TCP connection goes to (a weighted pick for `weightedClusters`). */
export function pickTcpCluster(p: TcpProxy, random: () => number = Math.random): string | undefined {
  if (p.cluster) return p.cluster;
  const list = (p.weightedClusters?.clusters ?? []).filter((c) => (c.weight ?? 0) > 0 && c.name);
  const total = list.reduce((n, c) => n + (c.weight ?? 0), 0);
  let r = random() * total;
  for (const c of list) {
    r -= c.weight ?? 0;
    if (r < 0) return c.name;
  }
  return list[list.length - 1]?.name;
}
