/**
 * Keys and PEM for the CA and workload identities, with node:crypto's WebCrypto (the provider
 * `@peculiar/x509` signs with): ECDSA P-256 generation, PKCS#8 PEM export/import (SEC1 `EC PRIVATE
 * KEY` and PKCS#1 RSA keys are accepted on import, as Istio's `cacerts` may hold either), the
 * signing algorithm matching a key, PEM bundle splitting and random serial numbers.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '../x509.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';

/** A WebCrypto key (node:crypto's). */
export type CryptoKey = webcrypto.CryptoKey;
/** A WebCrypto key pair (node:crypto's). */
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** A WebCrypto signature algorithm description. */
export type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;

/** The WebCrypto implementation used everywhere here. */
export const subtle: webcrypto.SubtleCrypto = webcrypto.subtle;

/** ECDSA P-256 key generation parameters (workload keys and Weft's self-signed root). */
export const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** Generates an extractable ECDSA P-256 key pair. */
export async function generateP256(): Promise<CryptoKeyPair> {
  return subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

/** A private CryptoKey as PKCS#8 PEM. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

/** Imports a PEM private key (PKCS#8, SEC1 EC or PKCS#1 RSA) as a signing CryptoKey. */
export async function importPrivateKeyPem(pem: string, what: string): Promise<CryptoKey> {
  let ko;
  try {
    ko = createPrivateKey(pem);
  } catch (cause) {
    throw new SecurityError(SecurityErrorCode.CaLoad, `${what}: not a PEM private key (${(cause as Error).message})`, { cause });
  }
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  if (ko.asymmetricKeyType === 'ec') {
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (!namedCurve) throw new SecurityError(SecurityErrorCode.CaLoad, `${what}: unsupported EC curve ${curve ?? '?'}`);
    return subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, true, ['sign']);
  }
  if (ko.asymmetricKeyType === 'rsa') {
    return subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  }
  throw new SecurityError(SecurityErrorCode.CaLoad, `${what}: unsupported key type ${ko.asymmetricKeyType ?? '?'}`);
}

/** The X.509 signing algorithm for a CA key: ECDSA with SHA-256/384 or RSA PKCS#1 v1.5 SHA-256. */
export function signingAlgorithmFor(key: CryptoKey): SigningAlgorithm {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as webcrypto.EcKeyAlgorithm).namedCurve;
    return { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } as webcrypto.EcdsaParams;
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm;
}

/** Splits a PEM bundle into its `CERTIFICATE` blocks (each ending with a newline). */
export function splitPemCertificates(bundle: string): string[] {
  const re = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
  return (bundle.match(re) ?? []).map((b) => `${b}\n`);
}

/** Parses one PEM certificate, or throws CA_LOAD_FAILED naming `what`. */
export function parseCertificatePem(pem: string, what: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (cause) {
    throw new SecurityError(SecurityErrorCode.CaLoad, `${what}: not a PEM certificate (${(cause as Error).message})`, { cause });
  }
}

/** A random positive 128-bit serial number in hex (RFC 5280: ≤ 20 octets, positive). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** True when the private key belongs to the PEM certificate's public key. */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
