/**
 * The HTTPS certificate of the config API when it listens off loopback: a leaf issued by the mesh CA
 * for the bound address (IP SAN, or DNS SAN for a name) and `localhost`, as the CSR service on 15012
 * gets its own (csr-server.ts), so the CLI verifies it against the mesh root (`weft … --ca-root`).
 * A fresh P-256 key per start, held only in memory.
 */
import { isIP } from 'node:net';
import type { CertificateAuthority } from '../security/ca/certificate-authority.js';
import { generateP256, privateKeyToPem } from '../security/ca/keys.js';

/** Lifetime of the API's certificate (re-issued at every start). */
const API_CERT_TTL_MS = 365 * 24 * 3600_000;

/** Issues the API's server certificate for `host`; returns the chain (leaf first) and key, PEM. */
export async function issueApiCertificate(ca: CertificateAuthority, host: string): Promise<{ certPem: string; keyPem: string }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const keys = await generateP256();
  const cert = await ca.issue({
    publicKey: keys.publicKey,
    dnsNames: isIP(bare) ? ['localhost'] : [bare, 'localhost'],
    ips: isIP(bare) ? [bare] : [],
    notAfter: new Date(Date.now() + API_CERT_TTL_MS),
  });
  return { certPem: cert.chainPems.join(''), keyPem: await privateKeyToPem(keys.privateKey) };
}
