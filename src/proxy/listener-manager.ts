/**
 * Binds the proxy's sockets from the current snapshot (design.md §2, no iptables) and maps each
 * request to an HTTP connection manager:
 * - sidecar outbound: one listener on `<ip>:<outboundPort>` (15001) that apps reach as their
 *   HTTP_PROXY. The destination port comes from the absolute URL / Host (default 80); the request
 *   is handed to the outbound listener `0.0.0.0_<port>` (or virtualOutbound's default chain) and
 *   routed with that listener's route configuration, authority = host[:port].
 * - sidecar inbound: `<ip>:<port>` for every destination port of `virtualInbound`'s chains.
 * - gateway: `<gatewayHost>:<port>` for every gateway listener.
 * Every HTTP listener also serves h2c prior knowledge (src/proxy/h2); the outbound one tunnels
 * HTTP CONNECT (src/proxy/tcp/connect-tunnel.ts); TCP proxy listeners are src/proxy/tcp's.
 * Reconciled after every accepted push: new ports are bound, vanished ones drained.
 */
import type { DownstreamRequest, DownstreamResponse } from './http/downstream.js';
import { portStart } from '../envoy/route-table.js';
import { handleRequest, onSocketTimeout, replyWithoutStream } from './hcm/connection-manager.js';
import { HttpListener, type HttpListenerOptions } from './listener/http-server.js';
import { LocalReply } from './http/local-reply.js';
import type { ProxyContext } from './listener/proxy-context.js';
import type { HcmRuntime, RuntimeSnapshot } from './listener/runtime-snapshot.js';
import { TcpListenerManager } from './tcp/tcp-listeners.js';
import { attachConnectTunnel } from './tcp/connect-tunnel.js';
import { inboundAcceptHook, inboundHcmFor, inboundPortsToBind, type InboundTlsSupport } from './listener/inbound-listener-support.js';
import { gatewayAcceptHook, gatewayHcmFor, type GatewayTlsSupport } from './listener/gateway-dispatch.js';
import { closeTcpConnections } from './listener/gateway-passthrough.js';
import { PROXY_AUTH_REQUIRED_HEAD, rejectTunnel, type OutboundAuth } from './listener/outbound-auth.js';
import { effectiveConnectionLimit, listenerOverflowCounter, listenerStatAddress } from './listener/listener-limits.js';
import { inboundBindHost } from './listener/inbound-bind.js';
import { gatewayBindHost } from './listener/gateway-bind.js';
import { autoInboundPorts } from './tcp/sniffed-inbound.js';
import { egressBindHost, egressBindListeners, egressBindOrigin } from './listener/egress-bind.js';

/** Settings of a {@link ListenerManager}. */
export interface ListenerManagerOptions {
  readonly role: 'sidecar' | 'gateway';
  /** The proxy's own address (pod IP). */
  readonly ip: string;
  /** Sidecar outbound port (15001; 0 = any free port). */
  readonly outboundPort: number;
  /** Address gateway listeners bind (default: `ip`). */
  readonly gatewayHost?: string;
  /** Maps a configured port to the port actually bound (tests, port conflicts); identity by default. */
  readonly bindPort?: (port: number, kind: 'inbound' | 'gateway') => number;
  /** Reports bind failures (the config stays accepted; the port is retried on the next push). */
  readonly onError?: (message: string) => void;
  /** Inbound mTLS per PeerAuthentication (src/proxy/tls); plaintext-only inbound when absent. */
  readonly inboundTls?: InboundTlsSupport;
  /** Gateway TLS termination / PASSTHROUGH (src/proxy/listener/gateway-dispatch.ts); plaintext-only gateway listeners when absent. */
  readonly gatewayTls?: GatewayTlsSupport;
  /** When set, the outbound listener serves only requests carrying the pod's credential (src/proxy/listener/outbound-auth.ts). */
  readonly outboundAuth?: OutboundAuth;
  /** Connections each listener keeps open at most (listener-limits.ts; default 10,000; 0 = no limit). */
  readonly maxConnectionsPerListener?: number;
}

const LISTENER_OPTIONS: HttpListenerOptions = { onSocketTimeout };

/** Owns the bound listeners. */
export class ListenerManager {
  private outbound: HttpListener | undefined;
  /** Bound port of the outbound listener. */
  outboundBoundPort = 0;
  private readonly inbound = new Map<number, { listener: HttpListener; bound: number; host: string }>();
  private readonly gateways = new Map<string, { listener: HttpListener; port: number; bound: number }>();
  /** Unbound HTTP listeners of detected inbound ports: the TCP listener hands them HTTP streams (tcp/sniffed-inbound.ts). */
  private readonly detectedHttp = new Map<number, HttpListener>();
  private closed = false;

  /** TCP proxy listeners (src/proxy/tcp): inbound/outbound TCP ports, gateway TCP servers. */
  private readonly tcp: TcpListenerManager;
  private readonly maxConnections: number | undefined;

  /**
   * `base` with this manager's connection limit; overflowing connections are counted under the
   * address the listener is bound to (`host` and the bound port, known once `listen` resolves).
   */
  private limited(base: HttpListenerOptions, host: string): { options: HttpListenerOptions; bound: (port: number) => void } {
    let port = 0;
    return {
      options: {
        ...base,
        ...(this.maxConnections !== undefined ? { maxConnections: this.maxConnections } : {}),
        onOverflow: () => listenerOverflowCounter(this.ctx.stats, listenerStatAddress(host, port)).inc(),
        onError: (err) => this.opts.onError?.(`listener ${host}:${port}: ${err.message}`),
      },
      bound: (p) => (port = p),
    };
  }

  constructor(private readonly ctx: ProxyContext, private readonly opts: ListenerManagerOptions) {
    this.maxConnections = effectiveConnectionLimit(opts.maxConnectionsPerListener);
    this.tcp = new TcpListenerManager(ctx, {
      maxConnections: this.maxConnections, onOverflow: (host, port) => listenerOverflowCounter(ctx.stats, listenerStatAddress(host, port)).inc(),
      role: opts.role, ip: opts.ip, gatewayHost: opts.gatewayHost, bindPort: opts.bindPort, onError: opts.onError, inboundTls: opts.inboundTls,
      namespace: ctx.self.namespace, reservedPorts: () => new Set([this.opts.outboundPort, this.outboundBoundPort, ...this.inbound.keys()]),
      deliverOutboundHttp: (s) => this.outbound?.server.emit('connection', s) ?? s.destroy(),
      deliverInboundHttp: (port, s) => this.detectedHttp.get(port)?.server.emit('connection', s) ?? s.destroy(),
    });
  }

  /** Bound ports: outbound, inbound by configured port, gateway by listener name. */
  ports(): { outbound: number; inbound: ReadonlyMap<number, number>; gateways: ReadonlyMap<string, number>; tcp: ReadonlyMap<string, number> } {
    return {
      tcp: this.tcp.ports(),
      outbound: this.outboundBoundPort,
      inbound: new Map([...this.inbound].map(([p, v]) => [p, v.bound])),
      gateways: new Map([...this.gateways].map(([n, v]) => [n, v.bound])),
    };
  }

  /** Binds/unbinds to match `snapshot`. */
  async reconcile(snapshot: RuntimeSnapshot): Promise<void> {
    if (this.closed) return;
    const { ip, role } = this.opts;
    const bindPort = this.opts.bindPort ?? ((p: number) => p);
    if (role === 'sidecar') {
      if (!this.outbound) {
        const lim = this.limited(LISTENER_OPTIONS, ip);
        const l = new HttpListener((req, res) => this.onOutbound(req, res), lim.options);
        const auth = this.opts.outboundAuth;
        attachConnectTunnel(l.server, this.ctx, {
          podIp: ip, namespace: this.ctx.self.namespace,
          authorize: auth && ((req, socket) => (auth.authorize(req) ? (auth.trustTunnel(socket), true) : (rejectTunnel(socket), false))),
        });
        this.outbound = l;
        this.outboundBoundPort = await l.listen(ip, this.opts.outboundPort);
        lim.bound(this.outboundBoundPort);
      }
      const firstOutbound = snapshot.outboundByPort.values().next().value ?? snapshot.outboundFallback;
      if (firstOutbound !== undefined) this.outbound.configure(firstOutbound);
      const tlsSupport = this.opts.inboundTls;
      const inboundPorts = tlsSupport ? inboundPortsToBind(snapshot, ip) : snapshot.inboundByPort;
      // Ports with no declared protocol are bound by the TCP listeners and detected per connection.
      const detected = autoInboundPorts(snapshot);
      for (const [port, hcm] of inboundPorts) {
        if (detected.has(port)) {
          let d = this.detectedHttp.get(port);
          if (!d) this.detectedHttp.set(port, (d = new HttpListener((req, res) => this.onInbound(port, req, res), LISTENER_OPTIONS)));
          d.configure(hcm);
          continue;
        }
        const cur = this.inbound.get(port);
        // Sidecar ingress `bind` (inbound-bind.ts): the port's address; a changed address is rebound.
        const host = inboundBindHost(snapshot, port, ip);
        if (cur && cur.host === host) {
          cur.listener.configure(hcm);
          continue;
        }
        if (cur) {
          this.inbound.delete(port);
          void cur.listener.close();
        }
        const listenerOptions = tlsSupport ? { ...LISTENER_OPTIONS, accept: inboundAcceptHook(() => this.ctx.snapshot, ip, port, tlsSupport) } : LISTENER_OPTIONS;
        const lim = this.limited(listenerOptions, host);
        const l = new HttpListener((req, res) => this.onInbound(port, req, res), lim.options);
        l.configure(hcm);
        try {
          const bound = await l.listen(host, bindPort(port, 'inbound'));
          lim.bound(bound);
          this.inbound.set(port, { listener: l, bound, host });
        } catch (err) {
          this.opts.onError?.(`inbound ${host}:${port}: ${(err as Error).message}`);
        }
      }
      for (const [port, d] of this.detectedHttp) {
        if (!detected.has(port)) {
          this.detectedHttp.delete(port);
          void d.close();
        }
      }
      for (const [port, v] of this.inbound) {
        if (!inboundPorts.has(port) || detected.has(port)) {
          this.inbound.delete(port);
          void v.listener.close();
        }
      }
      await this.reconcileEgressBinds(snapshot, ip);
    } else {
      const defaultHost = this.opts.gatewayHost ?? ip;
      for (const [name, g] of snapshot.gateways) {
        const cur = this.gateways.get(name);
        // Gateway `servers.bind` (gateway-bind.ts): the listener's own address.
        const host = gatewayBindHost(snapshot, name, defaultHost);
        if (cur && cur.port === g.port) {
          cur.listener.configure(g.hcm);
          continue;
        }
        if (cur) void cur.listener.close();
        const gatewayTls = this.opts.gatewayTls;
        const gwOptions = gatewayTls ? { ...LISTENER_OPTIONS, accept: gatewayAcceptHook(() => this.ctx.snapshot, name, gatewayTls) } : LISTENER_OPTIONS;
        const lim = this.limited(gwOptions, host);
        const l = new HttpListener((req, res) => this.onGateway(name, req, res), lim.options);
        l.configure(g.hcm);
        try {
          const bound = await l.listen(host, bindPort(g.port, 'gateway'));
          lim.bound(bound);
          this.gateways.set(name, { listener: l, port: g.port, bound });
        } catch (err) {
          this.gateways.delete(name);
          this.opts.onError?.(`gateway ${host}:${g.port}: ${(err as Error).message}`);
        }
      }
      for (const [name, v] of this.gateways) {
        if (!snapshot.gateways.has(name)) {
          this.gateways.delete(name);
          closeTcpConnections(name, 5000);
          void v.listener.close();
        }
      }
    }
    await this.tcp.reconcile(snapshot);
  }

  /**
   * Sidecar egress `bind` listeners (egress-bind.ts): HTTP ones are served like gateway listeners
   * (their own route table), on the address egressBindHost picks; TCP ones belong to the TCP manager.
   */
  private async reconcileEgressBinds(snapshot: RuntimeSnapshot, ip: string): Promise<void> {
    const binds = egressBindListeners(snapshot);
    for (const [name, l] of binds) {
      const g = snapshot.gateways.get(name);
      if (!g) continue;
      const cur = this.gateways.get(name);
      const host = egressBindHost(l, ip);
      if (cur && cur.port === g.port) {
        cur.listener.configure(g.hcm);
        continue;
      }
      if (cur) void cur.listener.close();
      const lim = this.limited(LISTENER_OPTIONS, host);
      const hl = new HttpListener((req, res) => this.onGateway(name, req, res), lim.options);
      hl.configure(g.hcm);
      try {
        const bound = await hl.listen(host, g.port);
        lim.bound(bound);
        this.gateways.set(name, { listener: hl, port: g.port, bound });
      } catch (err) {
        this.gateways.delete(name);
        this.opts.onError?.(`${egressBindOrigin(l)} listener ${name} on ${host}:${g.port}: ${(err as Error).message}`);
      }
    }
    for (const [name, v] of this.gateways) {
      if (!binds.has(name) || !snapshot.gateways.has(name)) {
        this.gateways.delete(name);
        void v.listener.close();
      }
    }
  }

  /** Drains and closes every listener. */
  async close(graceMs?: number): Promise<void> {
    this.closed = true;
    const all: HttpListener[] = [];
    if (this.outbound) all.push(this.outbound);
    for (const v of this.inbound.values()) all.push(v.listener);
    for (const d of this.detectedHttp.values()) all.push(d);
    for (const [name, v] of this.gateways) {
      all.push(v.listener);
      closeTcpConnections(name, graceMs);
    }
    await Promise.all([...all.map((l) => l.close(graceMs)), this.tcp.close(graceMs)]);
  }

  private onOutbound(req: DownstreamRequest, res: DownstreamResponse): void {
    if (this.opts.outboundAuth && !this.opts.outboundAuth.authorize(req)) {
      const h = PROXY_AUTH_REQUIRED_HEAD;
      res.writeHead(h.status, { ...h.headers, 'content-length': Buffer.byteLength(h.body) });
      res.end(h.body);
      return;
    }
    const url = req.url ?? '/';
    let authority: string | undefined;
    let path: string;
    if (url.startsWith('http://')) {
      let end = url.length;
      for (let i = 7; i < url.length; i++) {
        const c = url.charCodeAt(i);
        if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
          end = i;
          break;
        }
      }
      authority = url.slice(7, end);
      const at = authority.lastIndexOf('@');
      if (at >= 0) authority = authority.slice(at + 1);
      path = end === url.length ? '/' : url.charCodeAt(end) === 47 ? url.slice(end) : `/${url.slice(end)}`;
      req.headers.host = authority;
    } else {
      authority = req.headers.host;
      path = url;
    }
    if (authority === undefined || authority === '' || path.charCodeAt(0) !== 47) {
      replyWithoutStream(res, LocalReply.badRequest('missing or invalid authority'));
      return;
    }
    const p = portStart(authority);
    const port = p >= 0 ? Number(authority.slice(p + 1)) : 80;
    const snap = this.ctx.snapshot;
    const hcm: HcmRuntime | undefined = snap.outboundByPort.get(port) ?? snap.outboundFallback;
    if (hcm === undefined) {
      replyWithoutStream(res, LocalReply.noRoute());
      return;
    }
    handleRequest(this.ctx, snap, hcm, req, res, authority, path);
  }

  private onInbound(port: number, req: DownstreamRequest, res: DownstreamResponse): void {
    const snap = this.ctx.snapshot;
    const hcm = this.opts.inboundTls ? inboundHcmFor(snap, this.opts.ip, port, req) : snap.inboundByPort.get(port);
    if (hcm === undefined) {
      replyWithoutStream(res, LocalReply.noRoute());
      return;
    }
    handleRequest(this.ctx, snap, hcm, req, res, req.headers.host, req.url ?? '/');
  }

  private onGateway(name: string, req: DownstreamRequest, res: DownstreamResponse): void {
    const snap = this.ctx.snapshot;
    const g = snap.gateways.get(name);
    if (g === undefined) {
      replyWithoutStream(res, LocalReply.noRoute());
      return;
    }
    handleRequest(this.ctx, snap, g.tls ? gatewayHcmFor(g, req) : g.hcm, req, res, req.headers.host, req.url ?? '/');
  }
}
