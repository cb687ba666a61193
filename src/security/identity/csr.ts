/**
 * The proxy's half of certificate issuance: a fresh ECDSA P-256 key pair per certificate (the
 * private key never leaves the process) and a PKCS#10 CSR whose only SAN is the workload's SPIFFE
 * URI (critical, empty subject), as Istio's agent builds it.
 */
import * as x509 from '../x509.js';
import { generateP256, privateKeyToPem, type CryptoKeyPair } from '../ca/keys.js';

/** A key pair with its CSR. */
export interface KeyAndCsr {
  readonly keys: CryptoKeyPair;
  /** PKCS#8 PEM of the private key (kept in memory only). */
  readonly keyPem: string;
  readonly csrPem: string;
}

/** Generates a key pair and a CSR for `spiffeId`. */
export async function createKeyAndCsr(spiffeId: string): Promise<KeyAndCsr> {
  const keys = await generateP256();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: '',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true)],
  });
  return { keys, keyPem: await privateKeyToPem(keys.privateKey), csrPem: `${csr.toString('pem')}\n` };
}
