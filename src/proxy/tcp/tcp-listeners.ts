/**
 * Binds the proxy's TCP proxy listeners from each snapshot (no iptables, design.md §2):
 * - sidecar inbound: `<podIP>:<port>` for every inbound port whose chains are TCP proxies, with
 *   PeerAuthentication's transports (STRICT: mTLS only, PERMISSIVE: detected per connection,
 *   DISABLE: plaintext) through the same inbound TLS dispatch as HTTP ports;
 * - sidecar outbound: `<podIP>:<servicePort>` for each TCP service port of the mesh that is not one
 *   of the pod's own inbound ports nor a proxy port (15000–15099), so an app can reach a TCP service
 *   at its pod IP and the service port (apps that only know names use CONNECT on 15001 instead,
 *   connect-tunnel.ts); a port with no declared protocol detects HTTP/1.1 and h2c per connection
 *   and serves those on the outbound HTTP listener (sniffed-outbound.ts);
 * - sidecar egress `bind` (Sidecar `egress[].bind`, ../listener/egress-bind.ts): `<bind>:<port>` for a TCP port;
 * - gateway: `<gatewayHost>:<port>` for every gateway listener whose chain is a TCP proxy (TCP
 *   servers such as tcp-echo's 31400).
 * Reconciled after every accepted push: new ports bound, vanished ones closed (open connections
 * finish on their own, bounded by the drain grace period on proxy shutdown). Each connection is
 * routed with the snapshot current when it arrives.
 */
import net, { type Server, type Socket } from 'node:net';
import type { ProxyContext } from '../listener/proxy-context.js';
import type { RuntimeSnapshot } from '../listener/runtime-snapshot.js';
import type { InboundPortPlan } from '../listener/inbound-plan.js';
import { dispatchInbound, type InboundDispatchDeps } from '../listener/inbound-dispatch.js';
import type { HcmRuntime } from '../listener/runtime-snapshot.js';
import { dispatchSniffed, inspectingOutboundListener } from './sniffed-outbound.js';
import { autoInboundPorts, dispatchSniffedInbound } from './sniffed-inbound.js';
import { proxyTcp } from './tcp-connection.js';
import { outboundTcpRoute, tcpEntryPoints, type TcpRoute } from '../listener/tcp-routes.js';
import { inboundBindHost } from '../listener/inbound-bind.js';
import { gatewayBindHost } from '../listener/gateway-bind.js';
import { egressBindHost, egressBindOrigin, isEgressBindListener } from '../listener/egress-bind.js';

/** Settings of a {@link TcpListenerManager} (the listener manager's own). */
export interface TcpListenerOptions {
  readonly role: 'sidecar' | 'gateway';
  readonly ip: string;
  readonly gatewayHost?: string;
  readonly bindPort?: (port: number, kind: 'inbound' | 'gateway') => number;
  readonly onError?: (message: string) => void;
  readonly inboundTls?: InboundDispatchDeps;
  /** The pod's namespace (short names in CONNECT targets resolve in it). */
  readonly namespace?: string;
  /** Ports never bound for outbound TCP (the HTTP listeners' own). */
  readonly reservedPorts?: () => ReadonlySet<number>;
  /** Connections each TCP listener keeps open at most (src/proxy/listener/listener-limits.ts); absent = no limit. */
  readonly maxConnections?: number;
  /**
   * Serves a socket as HTTP on the sidecar's outbound HTTP listener; when set, per-port outbound
   * listeners of auto-protocol ports detect HTTP/1.1 and h2c (sniffed-outbound.ts).
   */
  readonly deliverOutboundHttp?: (socket: Socket) => void;
  /**
   * Serves a socket as HTTP on inbound port `port`'s HTTP listener; when set, inbound ports whose
   * protocol is detected are bound here and dispatched per connection (sniffed-inbound.ts).
   */
  readonly deliverInboundHttp?: (port: number, socket: Socket) => void;
  /** Counts a connection closed on accept because its listener (bound host and port) was full. */
  readonly onOverflow?: (host: string, port: number) => void;
}

interface Bound {
  readonly key: string;
  readonly server: Server;
  readonly sockets: Set<Socket>;
  bound: number;
}

/** Owns the bound TCP proxy listeners. */
export class TcpListenerManager {
  private readonly bound = new Map<string, Bound>();
  private closed = false;

  constructor(private readonly ctx: ProxyContext, private readonly opts: TcpListenerOptions) {}

  /** Bound ports by key (`inbound:<port>`, `outbound:<port>`, `gateway:<listener>`). */
  ports(): ReadonlyMap<string, number> {
    return new Map([...this.bound].map(([k, b]) => [k, b.bound]));
  }

  /** Binds/unbinds to match `snapshot`. */
  async reconcile(snapshot: RuntimeSnapshot): Promise<void> {
    if (this.closed) return;
    const { ip, role } = this.opts;
    const entries = tcpEntryPoints(snapshot, ip);
    const want = new Map<string, { host: string; port: number; handler: (s: Socket) => void; what?: string }>();
    const bindPort = this.opts.bindPort ?? ((p: number) => p);
    if (role === 'sidecar') {
      const tls = this.opts.inboundTls;
      // Detected ports (no declared protocol) are TCP-bound here and dispatched per connection.
      const detected = this.opts.deliverInboundHttp ? autoInboundPorts(snapshot) : new Set<number>();
      for (const port of new Set([...entries.inbound.keys(), ...detected])) {
        want.set(`inbound:${port}`, { host: inboundBindHost(snapshot, port, ip), port: bindPort(port, 'inbound'), handler: (s) => this.onInbound(port, s, tls) });
      }
      const reserved = this.opts.reservedPorts?.() ?? new Set<number>();
      const inboundPorts = new Set([...snapshot.inboundByPort.keys(), ...entries.inbound.keys()]);
      for (const l of snapshot.resources.listeners.get('virtualInbound')?.filterChains ?? []) {
        const p = l.filterChainMatch?.destinationPort?.value;
        if (p !== undefined) inboundPorts.add(p);
      }
      // Sidecar egress `bind` TCP listeners (../listener/egress-bind.ts) on their own address; one on the pod
      // IP takes the place of the port's outbound listener (both route to the egress entry's services).
      const egressOnPodIp = new Set<number>();
      for (const [name, g] of entries.gateways) {
        const l = snapshot.resources.listeners.get(name);
        if (!l || !isEgressBindListener(l)) continue;
        const host = egressBindHost(l, ip);
        if (host === ip) egressOnPodIp.add(g.port);
        want.set(`egress:${name}:${g.port}`, { host, port: g.port, handler: (s) => this.onGateway(name, s), what: `${egressBindOrigin(l)} listener ${name}` });
      }
      for (const port of entries.outbound.keys()) {
        if (inboundPorts.has(port) || reserved.has(port) || egressOnPodIp.has(port) || (port >= 15000 && port <= 15099)) continue;
        want.set(`outbound:${port}`, { host: ip, port, handler: (s) => this.onOutbound(port, s) });
      }
    } else {
      const host = this.opts.gatewayHost ?? ip;
      for (const [name, g] of entries.gateways) {
        want.set(`gateway:${name}:${g.port}`, { host: gatewayBindHost(snapshot, name, host), port: bindPort(g.port, 'gateway'), handler: (s) => this.onGateway(name, s) });
      }
    }
    for (const [key, w] of want) {
      if (this.bound.has(key)) continue;
      const b: Bound = { key, server: net.createServer({ allowHalfOpen: true, pauseOnConnect: true }), sockets: new Set(), bound: 0 };
      if (this.opts.maxConnections !== undefined) b.server.maxConnections = this.opts.maxConnections;
      const onOverflow = this.opts.onOverflow;
      if (onOverflow !== undefined) b.server.on('drop', () => onOverflow(w.host, b.bound));
      b.server.on('connection', (s: Socket) => {
        b.sockets.add(s);
        s.once('close', () => b.sockets.delete(s));
        s.setNoDelay(true);
        w.handler(s);
      });
      try {
        b.bound = await listen(b.server, w.host, w.port);
        // Accept errors (EMFILE under a connection flood) are reported, never thrown.
        b.server.on('error', (err: Error) => this.opts.onError?.(`tcp ${w.host}:${b.bound}: ${err.message}`));
        this.bound.set(key, b);
      } catch (err) {
        this.opts.onError?.(`${w.what ? `${w.what} on ` : 'tcp '}${w.host}:${w.port}: ${(err as Error).message}`);
      }
    }
    for (const [key, b] of this.bound) {
      if (want.has(key)) continue;
      this.bound.delete(key);
      b.server.close();
    }
  }

  /** Stops accepting; open connections get `graceMs` to finish, then are closed. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    const all = [...this.bound.values()];
    this.bound.clear();
    await Promise.all(all.map((b) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const s of b.sockets) s.destroy();
      }, graceMs);
      timer.unref();
      b.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    })));
  }

  private onInbound(port: number, socket: Socket, tls: InboundDispatchDeps | undefined): void {
    const deliverHttp = this.opts.deliverInboundHttp;
    if (deliverHttp && autoInboundPorts(this.ctx.snapshot).has(port)) {
      dispatchSniffedInbound(this.ctx, socket, { podIp: this.opts.ip, port, tls, deliverHttp: (s) => deliverHttp(port, s) });
      return;
    }
    const entry = tcpEntryPoints(this.ctx.snapshot, this.opts.ip).inbound.get(port);
    if (entry === undefined) {
      socket.destroy();
      return;
    }
    const serve = (route: TcpRoute | undefined) => (s: Socket): void => {
      if (route === undefined) {
        s.destroy();
        return;
      }
      s.allowHalfOpen = true;
      proxyTcp(this.ctx, s, route, { inbound: true, originalDst: { host: this.opts.ip, port } });
    };
    if (!tls || !entry.tls) {
      socket.resume();
      serve(entry.plaintext)(socket);
      return;
    }
    // The inbound TLS dispatch (src/proxy/tls) takes a port plan; a TCP port's chains carry no HCM,
    // so its plan marks plaintext as accepted with a placeholder and terminates TLS with the chain's context.
    const plan: InboundPortPlan = {
      port,
      plaintext: entry.plaintext ? TCP_PLACEHOLDER_HCM : undefined,
      tls: { chainName: entry.tls.route.name, context: entry.tls.context, hcm: TCP_PLACEHOLDER_HCM, requireClientCertificate: entry.tls.requireClientCertificate },
    };
    const deliverers = this.deliverers(port, entry.plaintext, entry.tls.route, serve);
    socket.resume();
    dispatchInbound(socket, plan, tls, deliverers);
  }

  private readonly deliverCache = new Map<string, { plain: TcpRoute | undefined; tls: TcpRoute; fn: (s: Socket) => void }>();

  /** One stable deliver function per port and routes (the TLS dispatch caches its server by it). */
  private deliverers(port: number, plain: TcpRoute | undefined, tlsRoute: TcpRoute, serve: (r: TcpRoute | undefined) => (s: Socket) => void): (s: Socket) => void {
    const key = String(port);
    const cur = this.deliverCache.get(key);
    if (cur && cur.plain === plain && cur.tls === tlsRoute) return cur.fn;
    const fn = (s: Socket): void => serve((s as Socket & { encrypted?: boolean }).encrypted === true ? tlsRoute : plain)(s);
    this.deliverCache.set(key, { plain, tls: tlsRoute, fn });
    return fn;
  }

  private onOutbound(port: number, socket: Socket): void {
    const inspecting = this.opts.deliverOutboundHttp ? inspectingOutboundListener(this.ctx.snapshot, port) : undefined;
    if (inspecting !== undefined && this.opts.deliverOutboundHttp) {
      dispatchSniffed(this.ctx, socket, inspecting, { podIp: this.opts.ip, namespace: this.opts.namespace ?? 'default', port, deliverHttp: this.opts.deliverOutboundHttp });
      return;
    }
    const entries = tcpEntryPoints(this.ctx.snapshot, this.opts.ip);
    const route = outboundTcpRoute(entries, undefined, port, this.opts.namespace ?? 'default') ?? entries.outboundDefault;
    socket.resume();
    if (route === undefined) {
      socket.destroy();
      return;
    }
    proxyTcp(this.ctx, socket, route, { inbound: false });
  }

  private onGateway(name: string, socket: Socket): void {
    const g = tcpEntryPoints(this.ctx.snapshot, this.opts.ip).gateways.get(name);
    socket.resume();
    if (g === undefined) {
      socket.destroy();
      return;
    }
    proxyTcp(this.ctx, socket, g.route, { inbound: false });
  }
}

/** Stands for "accepted" in a TCP port's plan (the TLS dispatch only tests its presence). */
const TCP_PLACEHOLDER_HCM: HcmRuntime = Object.freeze({
  name: 'tcp_proxy', direction: 'inbound' as const, rdsName: undefined, inlineTable: undefined, useRemoteAddress: false, generateRequestId: false, config: {},
});

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
