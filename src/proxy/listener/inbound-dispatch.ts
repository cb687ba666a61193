/**
 * Per-connection handling of an inbound port before HTTP sees the bytes, following the port's
 * {@link InboundPortPlan}:
 * - plaintext only (DISABLE): straight to HTTP;
 * - TLS only (STRICT): the first byte must start a TLS record (0x16, a ClientHello), otherwise the
 *   connection is reset (RST); TLS is terminated with the workload certificate, a client
 *   certificate is required and verified against ROOTCA (chain, dates, trust domain, SAN matchers);
 * - both (PERMISSIVE): the first bytes are peeked — a ClientHello goes to TLS, anything else to
 *   plaintext HTTP on the same port.
 * A verified peer's identity is attached to the TLS socket (peer-identity.ts). Server TLS contexts
 * are rebuilt when secrets change (rotation), for new connections only.
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { DownstreamTlsContext } from '../../envoy/types.js';
import { compilePeerCheck, type PeerCheck } from '../tls/peer-verification.js';
import type { InboundPortPlan, InboundTlsPlan } from './inbound-plan.js';
import { identityOf, setPeerIdentity } from '../tls/peer-identity.js';
import { ROOTCA_SECRET, type SecretStore } from '../tls/secret-store.js';

/** How long to wait for a client's first bytes (ms) before giving up on the connection. */
const PEEK_TIMEOUT_MS = 10_000;
/** TLS handshake deadline (ms). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** First byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/** What the dispatcher needs from the proxy. */
export interface InboundDispatchDeps {
  readonly secrets: SecretStore;
  /** This workload's SPIFFE ID (XFCC `By=`). */
  readonly localPrincipal: () => string;
  /** Counts refused plaintext and failed handshakes (optional). */
  readonly onRefused?: (reason: string) => void;
}

/**
 * Routes one accepted connection by the current plan of its port; `deliver` hands the stream
 * (the socket, or the TLS socket on top of it) to the HTTP server.
 */
export function dispatchInbound(socket: Socket, plan: InboundPortPlan | undefined, deps: InboundDispatchDeps, deliver: (s: Socket) => void): void {
  if (!plan || (!plan.plaintext && !plan.tls)) {
    reset(socket);
    deps.onRefused?.('no_filter_chain');
    return;
  }
  if (!plan.tls) {
    deliver(socket);
    return;
  }
  const timer = setTimeout(() => socket.destroy(), PEEK_TIMEOUT_MS);
  socket.once('error', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.pause();
    socket.unshift(chunk);
    if (chunk[0] === TLS_HANDSHAKE) {
      terminateTls(socket, plan, deps, deliver);
    } else if (plan.plaintext) {
      // Resume first: a consumer that pauses the socket while it connects upstream (tcp_proxy) keeps
      // it paused, so the peeked bytes wait for it instead of being emitted to no listener.
      socket.resume();
      deliver(socket);
    } else {
      // STRICT: plaintext to an mTLS-only port is refused, as Envoy closes a connection no filter chain matches.
      deps.onRefused?.('plaintext_on_mtls_port');
      reset(socket);
    }
  });
}

/**
 * Terminates TLS on `socket` with one chain's context (the peeked bytes put back on it) and hands
 * the TLS socket to `deliver` once the peer is verified; used by auto-protocol inbound ports
 * (src/proxy/tcp/sniffed-inbound.ts), whose chain is chosen before. `deliver` must be stable per
 * chain (the TLS server is cached by it).
 */
export function terminateInboundTls(socket: Socket, tlsPlan: InboundTlsPlan, deps: InboundDispatchDeps, deliver: (s: Socket) => void): void {
  terminateTls(socket, { port: 0, plaintext: undefined, tls: tlsPlan }, deps, deliver);
}

function terminateTls(socket: Socket, plan: InboundPortPlan, deps: InboundDispatchDeps, deliver: (s: Socket) => void): void {
  let server: tls.Server;
  try {
    server = tlsServerFor(plan.tls!, deps, deliver);
  } catch {
    deps.onRefused?.('no_certificate');
    reset(socket);
    return;
  }
  // tls.Server terminates TLS on the socket (the peeked bytes are still buffered on it).
  server.emit('connection', socket);
}

interface ServerEntry {
  generation: number;
  server: tls.Server;
}

const servers = new WeakMap<DownstreamTlsContext, WeakMap<(s: Socket) => void, ServerEntry>>();

/**
 * The tls.Server terminating connections of one TLS chain for one listener (`deliver`); its secure
 * context is replaced when the secrets change, affecting new handshakes only.
 */
function tlsServerFor(plan: NonNullable<InboundPortPlan['tls']>, deps: InboundDispatchDeps, deliver: (s: Socket) => void): tls.Server {
  let byDeliver = servers.get(plan.context);
  if (!byDeliver) servers.set(plan.context, (byDeliver = new WeakMap()));
  const cur = byDeliver.get(deliver);
  const gen = deps.secrets.generation;
  if (cur && cur.generation === gen) return cur.server;
  const o = contextOptions(plan.context, deps.secrets);
  if (cur) {
    cur.server.setSecureContext(o.options);
    cur.generation = gen;
    checks.set(cur.server, o.check);
    return cur.server;
  }
  const require = plan.requireClientCertificate;
  const server = tls.createServer({ ...o.options, requestCert: require || o.validates, rejectUnauthorized: require, ALPNProtocols: ['http/1.1', 'istio'], handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  checks.set(server, o.check);
  server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
    deps.onRefused?.(`tls_error:${(err as NodeJS.ErrnoException).code ?? err.message}`);
    s.destroy();
  });
  server.on('secureConnection', (t: tls.TLSSocket) => {
    const cert = t.getPeerCertificate();
    if (cert && cert.raw) {
      const bad = t.authorized ? checks.get(server)?.(cert) : new Error(String(t.authorizationError));
      if (bad) {
        deps.onRefused?.(`peer_verify_failed:${bad.message}`);
        t.destroy();
        return;
      }
      setPeerIdentity(t, identityOf(t, deps.localPrincipal()));
    } else if (require) {
      deps.onRefused?.('no_client_certificate');
      t.destroy();
      return;
    }
    deliver(t);
  });
  byDeliver.set(deliver, { generation: gen, server });
  return server;
}

const checks = new WeakMap<tls.Server, PeerCheck>();

function contextOptions(c: DownstreamTlsContext, secrets: SecretStore): { options: tls.SecureContextOptions; check: PeerCheck; validates: boolean } {
  const common = c.commonTlsContext ?? {};
  const certName = common.tlsCertificateSdsSecretConfigs?.[0]?.name;
  const kp = certName !== undefined ? secrets.keyPair(certName) : undefined;
  if (!kp) throw new Error(`secret ${certName ?? '(none)'} is not available`);
  const caName = common.combinedValidationContext?.validationContextSdsSecretConfig?.name ?? common.validationContextSdsSecretConfig?.name;
  const ca = caName !== undefined ? secrets.trustBundle(caName) : undefined;
  const vc = common.combinedValidationContext?.defaultValidationContext ?? common.validationContext;
  return {
    options: { key: kp.keyPem, cert: kp.chainPem, ca, minVersion: 'TLSv1.2' },
    check: compilePeerCheck(vc, caName === ROOTCA_SECRET ? secrets.trustDomain : undefined),
    validates: ca !== undefined,
  };
}

function reset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}
