/**
 * Client-certificate pinning of a validation context, as Envoy's CertificateValidationContext
 * defines it: `verifyCertificateSpki` lists base64 SHA-256 hashes of the certificate's
 * SubjectPublicKeyInfo (DER), `verifyCertificateHash` hex SHA-256 hashes of the whole DER
 * certificate (with or without colons, any case). When either list is set, the peer certificate
 * must match at least one entry of either list; when neither is, nothing is checked here (chain and
 * SAN checks are peer-verification.ts's). Failures carry `ERR_WEFT_TLS_PIN_MISMATCH`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { CertificateValidationContext } from '../../envoy/types.js';
import type { PeerCheck } from './peer-verification.js';

/** Error code of a certificate that matches no pin. */
export const PIN_MISMATCH = 'ERR_WEFT_TLS_PIN_MISMATCH';

/** The pin check of `vc`, or undefined when it pins nothing. */
export function compilePinCheck(vc: CertificateValidationContext | undefined): PeerCheck | undefined {
  const spki = new Set((vc?.verifyCertificateSpki ?? []).map((s) => s.trim()));
  const hashes = new Set((vc?.verifyCertificateHash ?? []).map((h) => h.replace(/:/g, '').trim().toLowerCase()));
  if (spki.size === 0 && hashes.size === 0) return undefined;
  return (cert: PeerCertificate) => {
    if (!cert.raw) return withCode(new Error('no peer certificate to check against the pinned hashes'));
    if (hashes.size > 0 && hashes.has(createHash('sha256').update(cert.raw).digest('hex'))) return undefined;
    if (spki.size > 0) {
      const der = new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' });
      if (spki.has(createHash('sha256').update(der).digest('base64'))) return undefined;
    }
    return withCode(new Error('peer certificate matches none of verifyCertificateSpki / verifyCertificateHash'));
  };
}

/** `check` followed by the pin check of `vc` (when it pins anything). */
export function withPins(check: PeerCheck, vc: CertificateValidationContext | undefined): PeerCheck {
  const pins = compilePinCheck(vc);
  return pins ? (cert) => check(cert) ?? pins(cert) : check;
}

function withCode(err: Error): Error {
  return Object.assign(err, { code: PIN_MISMATCH });
}
