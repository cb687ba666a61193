/**
 * Opens TLS connections to one upstream host as its UpstreamTlsContext says:
 * - client certificate: an SDS name (`default` = the workload certificate held in memory, or a
 *   `credentialName` secret) or files (`tlsCertificates`);
 * - validation: the SDS trust bundle (`ROOTCA`, `<credentialName>-cacert`), a `trustedCa` file, or
 *   the system roots, with the context's `crl` (DestinationRule `caCrl`) when given; none at all
 *   (`validationContext: {}`, DestinationRule `insecureSkipVerify`)
 *   means no verification, as in Envoy. Chain and validity dates are checked by OpenSSL; SAN
 *   matchers and, for mesh mTLS, the trust domain by peer-verification.ts;
 * - SNI from `sni`, or per connection from the request's host when the cluster sets Envoy's
 *   `auto_sni`; with `auto_san_validation` the certificate must cover that host instead of the
 *   context's SAN matchers (auto-sni.ts, hostname-match.ts). Each connection verifies its peer's
 *   name; Node's default `checkServerIdentity` is replaced, never skipped, while verifying;
 * - ALPN from the context with `h2` replaced by `http/1.1` (this proxy speaks
 *   HTTP/1.1 upstream), so mesh peers see `istio` + `http/1.1`; HTTP connections on mesh mTLS
 *   put `istio-http/1.1` or `istio-h2` first, as Istio's `istio.alpn` filter does;
 * - TLS session resumption: the last session ticket of the same server name is offered on the next
 *   connection, unless the secrets changed since (a resumed session would carry the previous
 *   certificate's identity).
 * The secure context is rebuilt when the secret store changes (rotation), so new connections use
 * the new certificate and established ones keep theirs. A failed handshake destroys the socket
 * with an error of code {@link UPSTREAM_TLS_FAILURE_CODE} whose `reason` reads like Envoy's
 * transport failure reason, and counts in `cluster.<name>.ssl.*`.
 */
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { CertificateValidationContext, CommonTlsContext, UpstreamTlsContext } from '../../envoy/types.js';
import { compilePeerCheck, PeerVerifyErrorCode, type PeerCheck } from './peer-verification.js';
import { ROOTCA_SECRET, type SecretStore } from './secret-store.js';
import type { TlsClusterStats } from './tls-stats.js';
import { identityOf, setPeerIdentity } from './peer-identity.js';
import { DEFAULT_TRANSPORT, requestHost, upstreamTransport, type AutoSniConfig, type UpstreamTransport } from './auto-sni.js';

/** Error code of every upstream TLS failure (handshake, verification, missing certificate). */
export const UPSTREAM_TLS_FAILURE_CODE = 'WEFT_UPSTREAM_TLS_FAILURE';

const TLS_VERSION: Readonly<Record<string, tls.SecureVersion | undefined>> = {
  TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3',
};

const TCP_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
const VERIFY_CODE = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_CERT|HOSTNAME_MISMATCH)/;
/** Bound of the per-host caches (transport options, compiled checks, session tickets). */
const MAX_HOSTS = 256;

/** Connection options http.Agent passes to createConnection (the subset used here). */
export interface ConnectTarget {
  readonly host?: string;
  readonly port?: number | string;
  readonly localAddress?: string;
}

/** One host's TLS connection factory. */
export class UpstreamTlsConnector {
  private readonly common: CommonTlsContext;
  private readonly certSecret: string | undefined;
  private readonly validationSecret: string | undefined;
  private readonly validation: CertificateValidationContext | undefined;
  private readonly verify: boolean;
  private readonly peerCheck: PeerCheck;
  private readonly alpn: string[] | undefined;
  private cached: { generation: number; context: tls.SecureContext } | undefined;
  /** Last TLS session per server name, with the secrets generation it was made under (a rotation drops it). */
  private readonly sessions = new Map<string, { generation: number; ticket: Buffer }>();
  private readonly transports = new Map<string, UpstreamTransport>();
  private readonly checks = new Map<string, PeerCheck>();

  /**
   * @param autoSni the cluster's `auto_sni` / `auto_san_validation` (undefined: neither), applied
   *   per connection from the request host given to {@link transportFor}.
   */
  constructor(readonly context: UpstreamTlsContext, private readonly secrets: SecretStore, private readonly stats?: TlsClusterStats, readonly autoSni?: AutoSniConfig) {
    const c = (this.common = context.commonTlsContext ?? {});
    this.certSecret = c.tlsCertificateSdsSecretConfigs?.[0]?.name;
    this.validationSecret = c.combinedValidationContext?.validationContextSdsSecretConfig?.name ?? c.validationContextSdsSecretConfig?.name;
    this.validation = c.combinedValidationContext?.defaultValidationContext ?? c.validationContext;
    const vc = c.validationContext;
    this.verify = this.validationSecret !== undefined || vc?.trustedCa !== undefined || vc?.systemRootCerts !== undefined;
    this.peerCheck = compilePeerCheck(this.validation, this.validationSecret === ROOTCA_SECRET ? secrets.trustDomain : undefined);
    const alpn = c.alpnProtocols?.length ? [...new Set(c.alpnProtocols.map((p) => (p === 'h2' ? 'http/1.1' : p)))] : undefined;
    if (alpn && !alpn.includes('http/1.1')) alpn.push('http/1.1');
    this.alpn = alpn;
  }

  /**
   * The per-connection options for a request with these (upstream) headers, or for a connection
   * with no request (TCP: `headers` undefined). Connections may only be shared between equal keys.
   */
  transportFor(headers?: Readonly<Record<string, string | string[] | undefined>>): UpstreamTransport {
    const cfg = this.autoSni;
    if (cfg === undefined) return DEFAULT_TRANSPORT;
    const host = requestHost(cfg, headers);
    let t = this.transports.get(host);
    if (t === undefined) {
      if (this.transports.size >= MAX_HOSTS) this.transports.clear();
      t = upstreamTransport(cfg, host);
      this.transports.set(host, t);
    }
    return t;
  }

  /**
   * Opens a TLS connection to `target` (http.Agent's createConnection) with per-connection options.
   * `http`: the connection carries HTTP/1.1 or HTTP/2 (else TCP): on mesh mTLS (ALPN `istio`) the
   * ALPN list starts with `istio-http/1.1` or `istio-h2`, as Istio's `istio.alpn` filter sets it, so
   * the peer's sidecar picks its HTTP chain on a port whose protocol it detects.
   */
  connect(target: ConnectTarget, transport: UpstreamTransport = DEFAULT_TRANSPORT, http?: 'http/1.1' | 'h2'): TLSSocket {
    const opts: ConnectionOptions = { host: target.host, port: Number(target.port) };
    let secureContext: tls.SecureContext;
    try {
      secureContext = this.secureContext();
    } catch (err) {
      // Still return a socket (http.Agent expects one) that fails like a handshake would.
      const s = tls.connect({ ...opts, rejectUnauthorized: false, secureContext: tls.createSecureContext() });
      process.nextTick(() => s.destroy(failure(err as Error, 'no_certificate')));
      this.stats?.connectionError.inc();
      return s;
    }
    // Envoy: the per-connection server name (auto SNI) overrides the context's `sni`.
    const sni = transport.serverName ?? this.context.sni;
    const servername = sni && isIP(sni) === 0 ? sni : undefined;
    const check = this.checkFor(transport);
    const sessionKey = servername ?? '';
    const prior = this.sessions.get(sessionKey);
    const socket = tls.connect({
      ...opts,
      secureContext,
      servername,
      ALPNProtocols: http !== undefined && this.alpn?.includes('istio') ? [http === 'h2' ? 'istio-h2' : 'istio-http/1.1', ...this.alpn] : this.alpn,
      rejectUnauthorized: this.verify,
      session: prior?.generation === this.secrets.generation ? prior.ticket : undefined,
      checkServerIdentity: this.verify ? (_host, cert) => check(cert) : () => undefined,
    });
    const generation = this.secrets.generation;
    socket.on('session', (ticket: Buffer) => {
      if (this.sessions.size >= MAX_HOSTS && !this.sessions.has(sessionKey)) this.sessions.clear();
      this.sessions.set(sessionKey, { generation, ticket });
    });
    socket.once('secureConnect', () => {
      this.stats?.handshake.inc();
      if (this.verify) setPeerIdentity(socket, identityOf(socket, ''));
      if (socket.isSessionReused()) this.stats?.sessionReused.inc();
    });
    // Rewrite handshake errors before http sees them (this listener runs first).
    socket.prependListener('error', (err: NodeJS.ErrnoException) => this.classify(socket, err));
    return socket;
  }

  /** The peer check for a connection: the context's, or with the auto SAN list replacing its matchers. */
  private checkFor(transport: UpstreamTransport): PeerCheck {
    if (transport.verifySans === undefined) return this.peerCheck;
    let c = this.checks.get(transport.key);
    if (c === undefined) {
      if (this.checks.size >= MAX_HOSTS) this.checks.clear();
      c = compilePeerCheck(this.validation, this.validationSecret === ROOTCA_SECRET ? this.secrets.trustDomain : undefined, transport.verifySans);
      this.checks.set(transport.key, c);
    }
    return c;
  }

  private classify(socket: TLSSocket, err: NodeJS.ErrnoException): void {
    const original = err.code ?? 'TLS_ERROR';
    if (original === UPSTREAM_TLS_FAILURE_CODE || TCP_CODES.has(original)) return;
    const san = original === PeerVerifyErrorCode.SanMismatch || original === PeerVerifyErrorCode.TrustDomain;
    const chain = VERIFY_CODE.test(original);
    // Errors after a completed handshake (resets while in use) keep their own code.
    if (!san && !chain && (socket as TLSSocket & { secureConnecting?: boolean }).secureConnecting === false && socket.authorized) return;
    let kind: string;
    if (san) {
      kind = 'verify_san_failed';
      this.stats?.failVerifySan.inc();
    } else if (chain) {
      kind = 'certificate_verify_failed';
      this.stats?.failVerifyError.inc();
    } else {
      kind = 'handshake_failed';
      this.stats?.connectionError.inc();
    }
    err.message = `TLS error: ${kind}: ${original}: ${err.message}`;
    Object.assign(err, { reason: tlsReason(original, kind), tlsCode: original, code: UPSTREAM_TLS_FAILURE_CODE });
  }

  private secureContext(): tls.SecureContext {
    const gen = this.secrets.generation;
    if (this.cached?.generation === gen) return this.cached.context;
    const opts: tls.SecureContextOptions = {};
    const p = this.common.tlsParams;
    const min = p?.tlsMinimumProtocolVersion ? TLS_VERSION[p.tlsMinimumProtocolVersion] : undefined;
    const max = p?.tlsMaximumProtocolVersion ? TLS_VERSION[p.tlsMaximumProtocolVersion] : undefined;
    if (min) opts.minVersion = min;
    if (max) opts.maxVersion = max;
    if (p?.cipherSuites?.length) opts.ciphers = p.cipherSuites.join(':');
    if (this.certSecret !== undefined) {
      const kp = this.secrets.keyPair(this.certSecret);
      if (!kp) throw Object.assign(new Error(`secret ${this.certSecret} is not available yet`), { code: 'ERR_WEFT_TLS_NO_CERT' });
      opts.key = kp.keyPem;
      opts.cert = kp.chainPem;
    } else if (this.common.tlsCertificates?.length) {
      const tc = this.common.tlsCertificates[0]!;
      opts.cert = read(tc.certificateChain);
      opts.key = read(tc.privateKey);
    }
    if (this.validationSecret !== undefined) {
      const ca = this.secrets.trustBundle(this.validationSecret);
      if (!ca) throw Object.assign(new Error(`secret ${this.validationSecret} is not available yet`), { code: 'ERR_WEFT_TLS_NO_CA' });
      opts.ca = ca;
    } else if (this.common.validationContext?.trustedCa) {
      opts.ca = read(this.common.validationContext.trustedCa);
    } else if (this.common.validationContext?.systemRootCerts) {
      opts.ca = [...tls.rootCertificates];
    }
    // DestinationRule `caCrl`: as Envoy without `only_verify_leaf_cert_crl`, OpenSSL then checks
    // every certificate of the chain against its issuer's CRL (CRL_CHECK | CRL_CHECK_ALL, which is
    // what Node sets when given a CRL); a revoked certificate fails with CERT_REVOKED.
    if (this.verify && this.validation?.crl) opts.crl = read(this.validation.crl);
    const context = tls.createSecureContext(opts);
    this.cached = { generation: gen, context };
    return context;
  }
}

function read(ds: { filename?: string; inlineString?: string; inlineBytes?: string } | undefined): string | undefined {
  if (!ds) return undefined;
  if (ds.inlineString !== undefined) return ds.inlineString;
  if (ds.inlineBytes !== undefined) return Buffer.from(ds.inlineBytes, 'base64').toString('utf8');
  if (ds.filename !== undefined) return readFileSync(ds.filename, 'utf8');
  return undefined;
}

function failure(err: Error, kind: string): Error {
  const code = (err as NodeJS.ErrnoException).code ?? 'TLS_ERROR';
  return Object.assign(new Error(`TLS error: ${kind}: ${err.message}`), { code: UPSTREAM_TLS_FAILURE_CODE, reason: tlsReason(code, kind), tlsCode: code });
}

/** Envoy's transport failure reason form: `TLS_error:|<code>:<what>:TLS_error_end`. */
function tlsReason(code: string, kind: string): string {
  return `TLS_error:|${code}:${kind}:TLS_error_end`;
}
