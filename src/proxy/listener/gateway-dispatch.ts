/**
 * Gateway TLS per connection, before HTTP sees any byte. For a listener whose chains expect TLS
 * (see gateway-tls-plan.ts) the ClientHello is read without terminating TLS, its SNI (and ALPN)
 * pick the filter chain — so several hosts, each with its own certificate, share one port — and:
 * - a terminating chain hands the connection to a `tls.Server` built for that chain (its key pair,
 *   client CA for MUTUAL, versions, ciphers, ALPN); after the handshake the TLS stream goes to the
 *   HTTP server (HTTPS) or is proxied as TCP (TLS servers with a `tcp` route);
 * - a PASSTHROUGH chain pipes the raw bytes to the cluster its VirtualService `tls` route chose.
 * Connections no chain accepts, plaintext on a TLS port, and chains whose credentials are missing
 * or malformed are closed; other hosts on the port are unaffected. TLS servers are rebuilt when the
 * chain or the secrets change, so a rotated certificate applies to new connections only.
 */
import type { DownstreamRequest } from '../http/downstream.js';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { GatewayBinding, HcmRuntime, RuntimeSnapshot } from './runtime-snapshot.js';
import { inspectClientHello } from '../tls/client-hello.js';
import { proxyTcp } from './gateway-passthrough.js';
import type { NetworkRbacObserver } from '../../envoy/rbac/network-rbac.js';
import { networkRbacAllows } from './network-authz.js';
import { GatewayTlsError, gatewayTlsSettings, type GatewayTlsSettings } from '../tls/gateway-secure-context.js';
import type { GatewayChainRuntime } from './gateway-tls-plan.js';
import type { SecretStore } from '../tls/secret-store.js';

/** How long a client may take to send its ClientHello (ms). */
const HELLO_TIMEOUT_MS = 10_000;
/** TLS handshake deadline (ms). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** What gateway TLS needs from the proxy. */
export interface GatewayTlsSupport {
  readonly secrets: SecretStore;
  /** Diagnostics (credential problems), each distinct message once. */
  readonly log: (line: string) => void;
  /**
   * Application protocols the downstream HTTP server speaks, offered over ALPN in the order the
   * chain lists them. Default `['http/1.1']`; add `h2` once the HTTP server serves HTTP/2.
   */
  readonly httpAlpn?: readonly string[];
  /** Counts closed connections by reason (optional). */
  readonly onRefused?: (reason: string) => void;
  /** Counts network RBAC decisions (`tcp.rbac.*`) of TLS and PASSTHROUGH TCP chains (optional). */
  readonly rbacObserver?: NetworkRbacObserver;
}

/** The chain a downstream TLS connection was accepted on. */
const chainOfSocket = new WeakMap<object, GatewayChainRuntime>();

/** The accept hook of gateway listener `listenerName` (plaintext listeners deliver straight to HTTP). */
export function gatewayAcceptHook(current: () => RuntimeSnapshot, listenerName: string, deps: GatewayTlsSupport): (socket: Socket, deliver: (s: Socket) => void) => void {
  return (socket, deliver) => {
    if (!current().gateways.get(listenerName)?.tls) {
      deliver(socket);
      return;
    }
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const hello = inspectClientHello(buffered);
      if (hello.kind === 'need-more') return;
      cleanup();
      socket.pause();
      socket.unshift(buffered);
      const snap = current();
      const plan = snap.gateways.get(listenerName)?.tls;
      if (hello.kind === 'not-tls' || !plan) return refuse(socket, deps, hello.kind === 'not-tls' ? 'not_tls' : 'listener_gone');
      const chain = plan.select({
        serverName: hello.serverName, alpn: hello.alpn, localAddress: socket.localAddress ?? '', localPort: socket.localPort ?? 0,
        remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0,
      });
      if (!chain) return refuse(socket, deps, `no_filter_chain:${hello.serverName ?? '(no sni)'}`);
      if (!chain.tls) {
        // PASSTHROUGH: the gateway's AuthorizationPolicy on TCP (Envoy network RBAC before tcp_proxy).
        if (chain.rbac && !networkRbacAllows(chain.rbac, socket, deps.rbacObserver, undefined, hello.serverName)) return refuse(socket, deps, 'rbac_access_denied');
        if (!chain.tcpProxy || !proxyTcp(socket, chain.tcpProxy, snap, listenerName, (r) => deps.onRefused?.(r))) refuse(socket, deps, 'no_tcp_route');
        return;
      }
      const server = serverFor(chain, deps, (t) => {
        chainOfSocket.set(t, chain);
        if (chain.hcm) deliver(t);
        else if (chain.rbac && !networkRbacAllows(chain.rbac, t, deps.rbacObserver)) {
          deps.onRefused?.('rbac_access_denied');
          t.destroy();
        }
        else if (!chain.tcpProxy || !proxyTcp(t, chain.tcpProxy, current(), listenerName, (r) => deps.onRefused?.(r))) t.destroy();
      });
      if (!server) return refuse(socket, deps, `credential_unavailable:${chain.name}`);
      server.emit('connection', socket);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.on('data', onData);
    socket.once('close', cleanup);
    socket.once('error', cleanup);
  };
}

/** The connection manager of a gateway request: its TLS chain's, else the listener's. */
export function gatewayHcmFor(binding: GatewayBinding, req: DownstreamRequest): HcmRuntime {
  const chain = chainOfSocket.get(req.socket);
  if (chain) return binding.tls?.chains.find((c) => c.name === chain.name)?.hcm ?? chain.hcm ?? binding.hcm;
  // HTTP/2 requests see a proxy of the TLS socket: select again by its SNI.
  const s = req.socket as tls.TLSSocket;
  const servername = typeof s.servername === 'string' ? s.servername : undefined;
  const again = binding.tls?.select({
    serverName: servername, alpn: [], localAddress: s.localAddress ?? '', localPort: s.localPort ?? 0, remoteAddress: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0,
  });
  return again?.hcm ?? binding.hcm;
}

interface ServerEntry {
  readonly generation: number;
  readonly server: tls.Server | undefined;
}

const servers = new WeakMap<GatewayChainRuntime, ServerEntry>();
const reported = new Set<string>();

/** The TLS server of a chain for the current secrets (undefined: its credentials are unusable). */
function serverFor(chain: GatewayChainRuntime, deps: GatewayTlsSupport, onSecure: (t: tls.TLSSocket) => void): tls.Server | undefined {
  const gen = deps.secrets.generation;
  const cur = servers.get(chain);
  if (cur && cur.generation === gen && cur.server) {
    secureHandlers.set(cur.server, onSecure);
    return cur.server;
  }
  let settings: GatewayTlsSettings;
  try {
    settings = gatewayTlsSettings(chain.tls!, deps.secrets, chain.hcm ? (deps.httpAlpn ?? ['http/1.1']) : []);
  } catch (err) {
    const line = `gateway tls: chain ${chain.name}: ${(err as Error).message}`;
    if (!reported.has(line)) {
      if (reported.size > 1000) reported.clear();
      reported.add(line);
      deps.log(line);
    }
    if (!(err instanceof GatewayTlsError)) throw err;
    servers.set(chain, { generation: gen, server: undefined });
    return undefined;
  }
  let server: tls.Server;
  try {
    server = tls.createServer({
      ...settings.options,
      requestCert: settings.verifiesClientCert,
      // ACCEPT_UNTRUSTED (insecureSkipVerify) verifies but never refuses a certificate; presence is checked below.
      rejectUnauthorized: settings.requireClientCert && !settings.acceptUntrusted,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
  } catch (err) {
    deps.log(`gateway tls: chain ${chain.name}: GATEWAY_TLS_PARAMS_INVALID: ${(err as Error).message}`);
    servers.set(chain, { generation: gen, server: undefined });
    return undefined;
  }
  server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
    deps.onRefused?.(`tls_error:${(err as NodeJS.ErrnoException).code ?? err.message}`);
    s.destroy();
  });
  server.on('secureConnection', (t: tls.TLSSocket) => {
    if (settings.verifiesClientCert) {
      const cert = t.getPeerCertificate();
      const present = cert !== undefined && cert !== null && Object.keys(cert).length > 0;
      if (!present && settings.requireClientCert) return fail(t, deps, 'no_client_certificate');
      if (present && !settings.acceptUntrusted) {
        if (!t.authorized) return fail(t, deps, `client_cert_invalid:${String(t.authorizationError)}`);
        const bad = settings.check(cert);
        if (bad) return fail(t, deps, `client_cert_rejected:${bad.message}`);
      }
    }
    secureHandlers.get(server)?.(t);
  });
  secureHandlers.set(server, onSecure);
  servers.set(chain, { generation: gen, server });
  return server;
}

/** Where a server's verified connections go (the latest listener's delivery). */
const secureHandlers = new WeakMap<tls.Server, (t: tls.TLSSocket) => void>();

function fail(t: tls.TLSSocket, deps: GatewayTlsSupport, reason: string): void {
  deps.onRefused?.(reason);
  t.destroy();
}

function refuse(socket: Socket, deps: GatewayTlsSupport, reason: string): void {
  deps.onRefused?.(reason);
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}
