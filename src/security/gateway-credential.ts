/**
 * Checks of a gateway credential before it is served or used: the certificate chain must be PEM
 * certificates that parse, the private key a PEM key that parses and belongs to the leaf
 * certificate, and a CA bundle at least one parseable certificate. Expiry is not checked here (a
 * client rejects an expired server certificate, and `weft analyze` reports it as IST0161).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { splitPemCertificates } from './ca/keys.js';

/** Why a key pair is unusable, or undefined when it is usable. */
export function keyPairProblem(chainPem: string, keyPem: string): string | undefined {
  const certs = splitPemCertificates(chainPem);
  if (certs.length === 0) return 'certificate chain holds no PEM certificate';
  let leaf: X509Certificate | undefined;
  for (const [i, pem] of certs.entries()) {
    try {
      const x = new X509Certificate(pem);
      leaf ??= x;
    } catch (err) {
      return `certificate ${i + 1} of the chain does not parse (${(err as Error).message})`;
    }
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return `private key is not a valid PEM key (${(err as Error).message})`;
  }
  if (key.asymmetricKeyType !== undefined && !leaf!.checkPrivateKey(key)) return 'private key does not match the certificate';
  return undefined;
}

/** Why a CA bundle is unusable, or undefined when it is usable. */
export function caBundleProblem(pem: string): string | undefined {
  const certs = splitPemCertificates(pem);
  if (certs.length === 0) return 'CA bundle holds no PEM certificate';
  for (const [i, c] of certs.entries()) {
    try {
      new X509Certificate(c);
    } catch (err) {
      return `CA certificate ${i + 1} does not parse (${(err as Error).message})`;
    }
  }
  return undefined;
}
