/**
 * Certificate sources and client-certificate checks of a terminating Gateway server, beyond the
 * single `credentialName` / `serverCertificate` (istio/api 1.31 ServerTLSSettings, as istiod's
 * buildGatewayListenerTLSContext turns them into Envoy's CommonTlsContext):
 * - `credentialNames` (at most two, e.g. RSA and ECDSA): one SDS key pair each,
 *   `kubernetes://<name>`; `tlsCertificates` (files): one `tlsCertificates` entry each. Envoy then
 *   serves the certificate matching what the client supports (its signature algorithms / ciphers);
 * - the client CA under MUTUAL: `caCertCredentialName` when set (it takes precedence), else the
 *   first credential's `-cacert` companion (gateway-credentials.ts);
 * - `verifyCertificateSpki` / `verifyCertificateHash`: Envoy's CertificateValidationContext pins
 *   (base64 SHA-256 of the SPKI, hex SHA-256 of the DER certificate; a match of either accepts);
 * - `caCrl`: the CRL file client certificates are checked against;
 * - `insecureSkipVerify`: Envoy's `trustChainVerification: ACCEPT_UNTRUSTED`: the client certificate
 *   is verified, but a failure does not refuse the connection (the certificate still reaches the
 *   backend in `x-forwarded-client-cert`).
 */
import type { ServerTLSSettings } from '../../config/schema/gateway.js';
import type { CertificateValidationContext, TlsCertificate } from '../../envoy/types.js';
import { credentialCaResourceName } from './gateway-credentials.js';

/** The SDS credentials of a server: `credentialNames`, else `credentialName` (none: file certificates). */
export function credentialNamesOf(tls: ServerTLSSettings): string[] {
  if (tls.credentialNames && tls.credentialNames.length > 0) return [...tls.credentialNames];
  return tls.credentialName ? [tls.credentialName] : [];
}

/** The SDS resource holding the client CA of a credential-based server. */
export function clientCaResourceName(tls: ServerTLSSettings, credentials: readonly string[]): string {
  return credentialCaResourceName(tls.caCertCredentialName ?? credentials[0] ?? '');
}

/** The file-based key pairs of a server: `tlsCertificates`, else `serverCertificate`/`privateKey`. */
export function fileCertificates(tls: ServerTLSSettings): TlsCertificate[] {
  const pairs = tls.tlsCertificates && tls.tlsCertificates.length > 0
    ? tls.tlsCertificates.map((c) => ({ cert: c.serverCertificate, key: c.privateKey }))
    : tls.serverCertificate || tls.privateKey ? [{ cert: tls.serverCertificate, key: tls.privateKey }] : [];
  return pairs.map((p) => ({ certificateChain: { filename: p.cert ?? '' }, privateKey: { filename: p.key ?? '' } }));
}

/** The client-certificate checks a server adds to its validation context (pins, CRL). */
export function clientCertificateChecks(tls: ServerTLSSettings): Partial<CertificateValidationContext> {
  return {
    ...(tls.verifyCertificateSpki?.length ? { verifyCertificateSpki: [...tls.verifyCertificateSpki] } : {}),
    ...(tls.verifyCertificateHash?.length ? { verifyCertificateHash: [...tls.verifyCertificateHash] } : {}),
    ...(tls.caCrl ? { crl: { filename: tls.caCrl } } : {}),
    // insecureSkipVerify (Gateway API AllowInsecureFallback): verify, but let the connection through.
    ...(tls.insecureSkipVerify ? { trustChainVerification: 'ACCEPT_UNTRUSTED' as const } : {}),
  };
}
