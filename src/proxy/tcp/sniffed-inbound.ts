/**
 * Inbound connections to a port whose protocol is detected (the `virtualInbound` chains of a port
 * with no declared protocol, src/translate/listener/inbound-auto-chains.ts). As Envoy does with
 * istiod's config, the listener's tls_inspector / http_inspector (protocol-inspector.ts) read the
 * client's first bytes (TLS ClientHello with its ALPN, else an HTTP/1.x request line or the h2c
 * preface), bounded by the listener's `listener_filters_timeout` (mesh config
 * `protocolDetectionTimeout`; on expiry the connection goes on as opaque TCP), and the port's
 * chain is chosen with Envoy's filter-chain matching (src/envoy/filter-chain-matcher.ts). Then:
 * - a chain with a DownstreamTlsContext terminates mTLS (src/proxy/listener/inbound-dispatch.ts: the
 *   workload certificate, client certificate verified) before its filters run;
 * - an HTTP connection manager chain hands the (plain or decrypted) stream to the port's HTTP
 *   listener, which serves HTTP/1.1 and h2c;
 * - a TCP proxy chain (with its network RBAC) proxies the bytes to the inbound cluster, including
 *   the app's own TLS, which PERMISSIVE passes through without terminating it;
 * - no chain: the connection is reset, as Envoy closes a connection no filter chain matches.
 */
import type { Socket } from 'node:net';
import type { FilterChain, Listener } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { ProxyContext } from '../listener/proxy-context.js';
import type { HcmRuntime, RuntimeSnapshot } from '../listener/runtime-snapshot.js';
import { terminateInboundTls, type InboundDispatchDeps } from '../listener/inbound-dispatch.js';
import { downstreamTls } from '../listener/inbound-plan.js';
import { inspectConnection, listenerInspectors } from './protocol-inspector.js';
import { proxyTcp } from './tcp-connection.js';
import { tcpRouteOfChain } from '../listener/tcp-routes.js';
import { selectCompiledChain } from './select-chain.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const VIRTUAL_INBOUND = 'virtualInbound';

const autoPorts = new WeakMap<RuntimeSnapshot, ReadonlySet<number>>();

/** Inbound ports whose chains match on application protocols (detected ports), per snapshot. */
export function autoInboundPorts(snapshot: RuntimeSnapshot): ReadonlySet<number> {
  let s = autoPorts.get(snapshot);
  if (s) return s;
  const out = new Set<number>();
  const l = snapshot.resources.listeners.get(VIRTUAL_INBOUND);
  if (l && listenerInspectors(l).http) {
    for (const fc of l.filterChains ?? []) {
      const port = fc.filterChainMatch?.destinationPort?.value;
      if (port !== undefined && (fc.filterChainMatch?.applicationProtocols?.length ?? 0) > 0) out.add(port);
    }
  }
  s = out;
  autoPorts.set(snapshot, s);
  return s;
}

/** What the inbound dispatch of a detected port needs. */
export interface SniffedInboundOptions {
  readonly podIp: string;
  readonly port: number;
  /** Inbound TLS (certificates, identity); mTLS chains are refused without it. */
  readonly tls: InboundDispatchDeps | undefined;
  /** Serves a stream as HTTP on the port's HTTP listener (HTTP/1.1 and h2c). */
  readonly deliverHttp: (socket: Socket) => void;
}

function isHcmChain(chain: FilterChain): boolean {
  return (chain.filters ?? []).some((f) => f.name === HCM || f.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
}

/** Placeholder HCM of a TLS plan whose chain is a TCP proxy (termination does not read it). */
const NO_HCM: HcmRuntime = Object.freeze({
  name: 'tcp_proxy', direction: 'inbound' as const, rdsName: undefined, inlineTable: undefined, useRemoteAddress: false, generateRequestId: false, config: {},
});

/** One stable deliver function per chain (the TLS termination caches its server by it). */
const deliverers = new WeakMap<FilterChain, (s: Socket) => void>();

function delivererFor(ctx: ProxyContext, chain: FilterChain, opts: SniffedInboundOptions): (s: Socket) => void {
  let fn = deliverers.get(chain);
  if (fn) return fn;
  if (isHcmChain(chain)) {
    fn = (s) => {
      opts.deliverHttp(s);
      s.resume();
    };
  } else {
    const route = tcpRouteOfChain(chain, `inbound_${opts.port}`);
    fn = (s) => {
      if (route === undefined) {
        s.destroy();
        return;
      }
      s.allowHalfOpen = true;
      s.resume();
      proxyTcp(ctx, s, route, { inbound: true, originalDst: { host: opts.podIp, port: opts.port } });
    };
  }
  deliverers.set(chain, fn);
  return fn;
}

function reset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}

/** Inspects `socket` (accepted on detected port `opts.port`) and serves it by the chain it matches. */
export function dispatchSniffedInbound(ctx: ProxyContext, socket: Socket, opts: SniffedInboundOptions): void {
  const listener: Listener | undefined = ctx.snapshot.resources.listeners.get(VIRTUAL_INBOUND);
  if (listener === undefined) {
    reset(socket);
    return;
  }
  inspectConnection(socket, listenerInspectors(listener), (p) => {
    if (p === undefined) return;
    const chain = selectCompiledChain(listener, {
      destinationIp: opts.podIp, destinationPort: opts.port, transportProtocol: p.transportProtocol,
      ...(p.serverName !== undefined ? { serverName: p.serverName } : {}), applicationProtocols: p.applicationProtocols,
      sourceIp: socket.remoteAddress ?? '127.0.0.1', sourcePort: socket.remotePort ?? 0,
    });
    if (chain === undefined || chain.filterChainMatch?.destinationPort?.value !== opts.port) {
      opts.tls?.onRefused?.('no_filter_chain');
      reset(socket);
      return;
    }
    const deliver = delivererFor(ctx, chain, opts);
    const context = downstreamTls(chain);
    if (context === undefined) {
      deliver(socket);
      return;
    }
    if (opts.tls === undefined) {
      reset(socket);
      return;
    }
    terminateInboundTls(socket, { chainName: chain.name ?? '', context, hcm: NO_HCM, requireClientCertificate: context.requireClientCertificate?.value === true }, opts.tls, deliver);
  });
}
