/**
 * HTTP CONNECT on the sidecar's outbound listener (HTTP_PROXY): how an app reaches a TCP service
 * under `weft up` without iptables or DNS. `CONNECT host:port HTTP/1.1` (curl `-p -x`, `nc -X
 * connect`, any HTTPS-through-proxy client) is tunnelled by the destination port, as the outbound
 * listener routes plain HTTP by port:
 * - a TCP service port (`0.0.0.0_<port>` with a TCP proxy): the chain of the named host (or the
 *   port's only service) is used — weights, subsets, circuit breaker, mTLS and TCP metrics as for
 *   any proxied connection; `200 Connection established` is sent once the upstream is connected,
 *   a failure is answered `503` with the flag's reason (no 200 is ever followed by a close for
 *   connect failures);
 * - a port whose protocol is detected (no declared protocol): `200` at once, then the first bytes
 *   pick HTTP or TCP as the listener's inspectors and filter chains say (sniffed-outbound.ts);
 * - an HTTP service port: the tunnel carries HTTP, so after `200` the socket is served by the
 *   outbound HTTP listener itself (routes, retries… apply to each request inside);
 * - any other port: `virtualOutbound`'s default chain — PassthroughCluster (ALLOW_ANY: the named
 *   host itself, e.g. HTTPS to an external site) or BlackHoleCluster (REGISTRY_ONLY: 503 UH).
 * Bytes the client sent after the CONNECT head are forwarded first.
 */
import type { IncomingMessage } from 'node:http';
import { isIP, type Server, type Socket } from 'node:net';
import { portStart } from '../../envoy/route-table.js';
import type { ProxyContext } from '../listener/proxy-context.js';
import { outboundRouteForIp } from './outbound-by-address.js';
import { dispatchSniffed, inspectingOutboundListener } from './sniffed-outbound.js';
import { proxyTcp } from './tcp-connection.js';
import { outboundTcpRoute, tcpEntryPoints } from '../listener/tcp-routes.js';

/** Settings of {@link attachConnectTunnel}. */
export interface ConnectTunnelOptions {
  readonly podIp: string;
  /** The pod's namespace (short names resolve in it). */
  readonly namespace: string;
  /** Refuses a CONNECT (it has answered 407 itself) unless it returns true (src/proxy/listener/outbound-auth.ts). */
  readonly authorize?: (req: IncomingMessage, socket: Socket) => boolean;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * Serves CONNECT requests on `server` (the sidecar's outbound HTTP listener, http-server.ts, which
 * emits `'connect'` with `(req, socket, head)` as node:http does; `'connection'` serves a socket as HTTP).
 */
export function attachConnectTunnel(server: Server, ctx: ProxyContext, opts: ConnectTunnelOptions): void {
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => onConnect(server, ctx, opts, req, socket, head));
}

function reply(socket: Socket, status: number, message: string, flag: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-weft-response-flags: ${flag}\r\nconnection: close\r\n\r\n${body}`);
}

function onConnect(server: Server, ctx: ProxyContext, opts: ConnectTunnelOptions, req: IncomingMessage, socket: Socket, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  if (opts.authorize && !opts.authorize(req, socket)) return;
  const target = req.url ?? '';
  const p = portStart(target);
  const port = p >= 0 ? Number(target.slice(p + 1)) : NaN;
  const host = (p >= 0 ? target.slice(0, p) : target).replace(/^\[|\]$/g, '');
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    reply(socket, 400, 'Bad Request: CONNECT target must be host:port', 'DPE');
    return;
  }
  const snapshot = ctx.snapshot;
  const inspecting = inspectingOutboundListener(snapshot, port);
  if (inspecting !== undefined) {
    // Auto-protocol port: the client speaks only after 200, so answer first, then inspect its
    // first bytes and pick the chain (sniffed-outbound.ts); failures after this close the tunnel.
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    dispatchSniffed(ctx, socket, inspecting, {
      podIp: opts.podIp, namespace: opts.namespace, port, host,
      deliverHttp: (s) => server.emit('connection', s),
      tcp: { originalDst: { host, port } },
    });
    return;
  }
  if (snapshot.outboundByPort.has(port)) {
    // HTTP inside the tunnel: hand the socket to the outbound HTTP listener itself.
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    server.emit('connection', socket);
    return;
  }
  const entries = tcpEntryPoints(snapshot, opts.podIp);
  // An IP target is matched by destination address (CIDR ServiceEntries, destinationSubnets); a name by its service.
  const route = (isIP(host) ? outboundRouteForIp(snapshot, port, host) : undefined) ?? outboundTcpRoute(entries, host, port, opts.namespace) ?? entries.outboundDefault;
  if (route === undefined) {
    reply(socket, 503, 'no route for this destination', 'NR');
    return;
  }
  socket.allowHalfOpen = true;
  proxyTcp(ctx, socket, route, {
    inbound: false,
    originalDst: { host, port },
    onConnected: () => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
    },
    onFailed: (flag, status, message) => reply(socket, status, message, flag),
  });
}
