/**
 * The server-side TLS settings of one gateway filter chain, from its DownstreamTlsContext:
 * - the key pair from SDS (`tlsCertificateSdsSecretConfigs`, e.g. `kubernetes://<credentialName>`)
 *   or from files (`tlsCertificates`: Gateway `serverCertificate`/`privateKey`);
 * - the client CA from SDS (`combinedValidationContext` / `validationContextSdsSecretConfig`,
 *   `kubernetes://<credentialName>-cacert`) or a file (`validationContext.trustedCa`:
 *   `caCertificates`); MUTUAL requires a client certificate, OPTIONAL_MUTUAL verifies one if sent;
 * - `tlsParams`: protocol versions (Envoy's downstream defaults TLSv1.2–TLSv1.3) and cipher suites
 *   (which, as in Envoy, constrain TLS ≤ 1.2 only; TLS 1.3 keeps its suites);
 * - ALPN: the context's list restricted to what the downstream HTTP server speaks;
 * - several key pairs (Gateway `credentialNames` / `tlsCertificates`), client-certificate pins
 *   (certificate-pins.ts) and a CRL (`caCrl`).
 * Unusable material throws {@link GatewayTlsError} naming the secret or file.
 */
import type tls from 'node:tls';
import type { DataSource, DownstreamTlsContext, TlsProtocol } from '../../envoy/types.js';
import { SecurityErrorCode } from '../../security/errors.js';
import { caBundleProblem, keyPairProblem } from '../../security/gateway-credential.js';
import { compilePeerCheck, type PeerCheck } from './peer-verification.js';
import { withPins } from './certificate-pins.js';
import { dataSourceText, type SecretStore } from './secret-store.js';
import { WeftError } from '../../util/weft-error.js';

/** Stable codes of gateway TLS setup failures. */
export const GatewayTlsErrorCode = {
  /** The certificate, key or CA is malformed or mismatched. */
  Invalid: SecurityErrorCode.GatewayCredentialInvalid,
  /** A referenced SDS secret has not been received (missing or rejected by the control plane). */
  Unavailable: 'GATEWAY_CREDENTIAL_UNAVAILABLE',
  /** Versions or cipher suites Node's TLS cannot apply. */
  BadParams: 'GATEWAY_TLS_PARAMS_INVALID',
} as const;

/** A chain whose TLS settings cannot be built; its connections are closed. */
export class GatewayTlsError extends WeftError {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'GatewayTlsError';
  }
}

/** Built TLS settings of a chain. */
export interface GatewayTlsSettings {
  /** Options for `tls.createServer` / `setSecureContext`. */
  readonly options: tls.TlsOptions;
  /** A client certificate is required (MUTUAL). */
  readonly requireClientCert: boolean;
  /** A client certificate is requested and verified when sent (MUTUAL, OPTIONAL_MUTUAL). */
  readonly verifiesClientCert: boolean;
  /** SAN checks on a verified client certificate. */
  readonly check: PeerCheck;
  /** Verification failures are let through (`trustChainVerification: ACCEPT_UNTRUSTED`, Gateway `insecureSkipVerify`). */
  readonly acceptUntrusted: boolean;
}

const VERSIONS: Readonly<Partial<Record<TlsProtocol, tls.SecureVersion>>> = {
  TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3',
};
/** TLS 1.3 suites stay enabled whatever `cipherSuites` says (Envoy applies them to TLS ≤ 1.2). */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** Builds the TLS settings of a chain; `alpnSupported` lists what the chain's server can speak. */
export function gatewayTlsSettings(ctx: DownstreamTlsContext, secrets: SecretStore, alpnSupported: readonly string[]): GatewayTlsSettings {
  const common = ctx.commonTlsContext ?? {};
  // Several key pairs (credentialNames / tlsCertificates, e.g. RSA and ECDSA): OpenSSL serves the one
  // matching the client's signature algorithms and ciphers, as Envoy does (`key`/`cert` arrays).
  const pairs = keyPairs(ctx, secrets);
  const key = pairs.map((p) => p.key);
  const cert = pairs.map((p) => p.cert);
  const caName = common.combinedValidationContext?.validationContextSdsSecretConfig?.name ?? common.validationContextSdsSecretConfig?.name;
  let ca: string | undefined;
  if (caName !== undefined) {
    ca = secrets.trustBundle(caName);
    if (ca === undefined) throw new GatewayTlsError(GatewayTlsErrorCode.Unavailable, `CA secret ${caName} has not been received from the control plane`);
  } else if (common.validationContext?.trustedCa) {
    ca = readSource(common.validationContext.trustedCa, 'CA certificates');
  }
  if (ca !== undefined) {
    const problem = caBundleProblem(ca);
    if (problem) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, `${caName ?? describe(common.validationContext?.trustedCa)}: ${problem}`);
  }
  const require = ctx.requireClientCertificate?.value === true;
  if (require && ca === undefined) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, 'a client certificate is required but no CA to verify it is configured');
  const p = common.tlsParams ?? {};
  const minVersion = (p.tlsMinimumProtocolVersion && VERSIONS[p.tlsMinimumProtocolVersion]) || 'TLSv1.2';
  const maxVersion = (p.tlsMaximumProtocolVersion && VERSIONS[p.tlsMaximumProtocolVersion]) || 'TLSv1.3';
  const suites = (p.cipherSuites ?? []).flatMap((s) => s.replace(/[[\]]/g, '').split('|')).map((s) => s.trim()).filter(Boolean);
  const alpn = (common.alpnProtocols ?? []).filter((a) => alpnSupported.includes(a));
  const vc = common.combinedValidationContext?.defaultValidationContext ?? common.validationContext;
  // Gateway `caCrl`: as Envoy, every certificate of the client's chain is checked against its
  // issuer's CRL (Node sets CRL_CHECK | CRL_CHECK_ALL when given one); a revoked one fails the handshake.
  const crl = ca !== undefined && vc?.crl ? readSource(vc.crl, 'CRL') : undefined;
  const options: tls.TlsOptions = {
    key: key.length === 1 ? key[0] : key, cert: cert.length === 1 ? cert[0] : cert, ca, minVersion, maxVersion,
    ...(crl !== undefined ? { crl } : {}),
    ...(suites.length ? { ciphers: `${TLS13_SUITES}:${suites.join(':')}` } : {}),
    ...(alpn.length ? { ALPNProtocols: alpn } : {}),
  };
  return { options, requireClientCert: require, verifiesClientCert: ca !== undefined, check: withPins(compilePeerCheck(vc, undefined), vc), acceptUntrusted: vc?.trustChainVerification === 'ACCEPT_UNTRUSTED' };
}

function keyPairs(ctx: DownstreamTlsContext, secrets: SecretStore): { key: string; cert: string }[] {
  const common = ctx.commonTlsContext ?? {};
  const sds = common.tlsCertificateSdsSecretConfigs ?? [];
  if (sds.length > 0) {
    return sds.map(({ name }) => {
      const sdsName = name ?? '';
      const kp = secrets.keyPair(sdsName);
      if (!kp) throw new GatewayTlsError(GatewayTlsErrorCode.Unavailable, `secret ${sdsName} has not been received from the control plane (missing or invalid Secret)`);
      const problem = keyPairProblem(kp.chainPem, kp.keyPem);
      if (problem) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, `secret ${sdsName}: ${problem}`);
      return { key: kp.keyPem, cert: kp.chainPem };
    });
  }
  const all = common.tlsCertificates ?? [];
  if (all.length === 0) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, 'no server certificate configured');
  return all.map((files) => {
    if (!files.certificateChain || !files.privateKey) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, 'no server certificate configured');
    const cert = readSource(files.certificateChain, 'server certificate');
    const key = readSource(files.privateKey, 'private key');
    const problem = keyPairProblem(cert, key);
    if (problem) throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, `${describe(files.certificateChain)} / ${describe(files.privateKey)}: ${problem}`);
    return { key, cert };
  });
}

function readSource(ds: DataSource, what: string): string {
  try {
    const text = dataSourceText(ds);
    if (text === undefined || text === '') throw new Error('empty');
    return text;
  } catch (err) {
    throw new GatewayTlsError(GatewayTlsErrorCode.Invalid, `${what} ${describe(ds)} cannot be read (${(err as Error).message})`);
  }
}

function describe(ds: DataSource | undefined): string {
  if (ds?.filename !== undefined) return `file ${ds.filename}`;
  if (ds?.environmentVariable !== undefined) return `env ${ds.environmentVariable}`;
  return 'inline data';
}
