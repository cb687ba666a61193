/**
 * The mesh CA's signing half: it holds a signing certificate and key (Weft's self-signed root, or a
 * plug-in intermediate) plus the chain up to the root, and issues
 * - workload certificates from CSRs ({@link CertificateAuthority.signCsr}): ECDSA/RSA public key
 *   from the CSR, one SPIFFE URI SAN (critical, empty subject, as Istio issues them), key usages
 *   digitalSignature + keyEncipherment, extended usages serverAuth + clientAuth, random 128-bit
 *   serial, TTL as requested within [1 s, maxTtl] (24 h by default). The SAN must equal the
 *   identity the requester authenticated as, else CSR_IDENTITY_MISMATCH;
 * - any other leaf or CA certificate ({@link CertificateAuthority.issue}), for the CSR service's own
 *   server certificate and for tests that need odd validity windows or identities.
 */
import * as x509 from '../x509.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';
import { formatSpiffeId, parseSpiffeId, type SpiffeId } from '../identity/spiffe.js';
import { randomSerial, signingAlgorithmFor, type CryptoKey } from './keys.js';

/** Default workload certificate lifetime (Istio's `DEFAULT_WORKLOAD_CERT_TTL`). */
export const DEFAULT_WORKLOAD_TTL_MS = 24 * 3600_000;
/** Longest lifetime a CSR may ask for (Istio's `MAX_WORKLOAD_CERT_TTL`, 90 days). */
export const MAX_WORKLOAD_TTL_MS = 90 * 24 * 3600_000;
/** Back-dating of `notBefore`, tolerating small clock skew between processes. */
const CLOCK_SKEW_MS = 60_000;

/** What a CA signs with. */
export interface CaMaterial {
  /** The certificate that signs (the root itself, or a plug-in intermediate). */
  readonly signingCertPem: string;
  readonly signingKey: CryptoKey;
  /** Certificates from above the signing certificate up to and including the root (empty for a self-signed root). */
  readonly chainAbovePems: readonly string[];
  /** The trust anchor proxies verify against (`ROOTCA`). */
  readonly rootCertPem: string;
}

/** CA settings. */
export interface CaOptions {
  readonly trustDomain: string;
  /** Lifetime when a CSR asks for none (default 24 h). */
  readonly defaultTtlMs?: number;
  /** Upper bound of any requested lifetime (default 90 days). */
  readonly maxTtlMs?: number;
}

/** An issued certificate. */
export interface IssuedCertificate {
  /** The leaf, PEM. */
  readonly certPem: string;
  /** Leaf first, then intermediates, root last (Istio's `cert_chain`). */
  readonly chainPems: readonly string[];
  /** Serial number, lower-case hex. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** What {@link CertificateAuthority.issue} puts into a certificate. */
export interface IssueRequest {
  readonly publicKey: CryptoKey | x509.PublicKey;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  /** Subject DN (default empty, as Istio's workload certificates). */
  readonly subject?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Issue a CA certificate (basicConstraints cA, keyCertSign) instead of a leaf. */
  readonly isCa?: boolean;
}

/** A CSR signing request as the CSR service hands it over. */
export interface CsrSignRequest {
  readonly csrPem: string;
  /** The identity the requester authenticated as; the CSR's only SAN must be this. */
  readonly identity: SpiffeId;
  /** Requested lifetime; 0/undefined = default. */
  readonly ttlMs?: number;
}

/** Issues workload and server certificates from one signing key. */
export class CertificateAuthority {
  readonly trustDomain: string;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  private readonly signingCert: x509.X509Certificate;

  constructor(readonly material: CaMaterial, opts: CaOptions) {
    this.trustDomain = opts.trustDomain;
    this.defaultTtlMs = opts.defaultTtlMs ?? DEFAULT_WORKLOAD_TTL_MS;
    this.maxTtlMs = opts.maxTtlMs ?? MAX_WORKLOAD_TTL_MS;
    this.signingCert = new x509.X509Certificate(material.signingCertPem);
  }

  /** The mesh trust anchor, PEM. */
  get rootCertPem(): string {
    return this.material.rootCertPem;
  }

  /** Validates a CSR against the authenticated identity and signs it. */
  async signCsr(req: CsrSignRequest): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(req.csrPem);
    } catch (cause) {
      throw new SecurityError(SecurityErrorCode.CsrInvalid, `CSR does not parse: ${(cause as Error).message}`, { cause });
    }
    if (!(await csr.verify().catch(() => false))) throw new SecurityError(SecurityErrorCode.CsrInvalid, 'CSR signature does not verify');
    checkCsrKey(csr.publicKey);
    const sans = csrSans(csr);
    const wanted = formatSpiffeId(req.identity);
    if (req.identity.trustDomain !== this.trustDomain) {
      throw new SecurityError(SecurityErrorCode.CsrIdentityMismatch, `identity ${wanted} is outside trust domain ${this.trustDomain}`);
    }
    if (sans.dns.length > 0 || sans.ips.length > 0 || sans.other > 0 || sans.uris.length !== 1) {
      throw new SecurityError(SecurityErrorCode.CsrInvalid, `CSR must carry exactly one URI SAN (the SPIFFE identity) and nothing else; got URIs [${sans.uris.join(', ')}], DNS [${sans.dns.join(', ')}]`);
    }
    const asked = sans.uris[0]!;
    if (!parseSpiffeId(asked)) throw new SecurityError(SecurityErrorCode.CsrInvalid, `CSR SAN ${JSON.stringify(asked)} is not a SPIFFE identity`);
    if (asked !== wanted) {
      throw new SecurityError(SecurityErrorCode.CsrIdentityMismatch, `CSR asks for ${asked} but the requester is authenticated as ${wanted}`);
    }
    const ttl = this.effectiveTtl(req.ttlMs);
    const now = Date.now();
    return this.issue({
      publicKey: await csr.publicKey.export(),
      uris: [asked],
      notBefore: new Date(now - Math.min(CLOCK_SKEW_MS, ttl / 10)),
      notAfter: new Date(now + ttl),
    });
  }

  /** The lifetime used for a requested TTL (default when absent, clamped to [1 s, max]). */
  effectiveTtl(requestedMs: number | undefined): number {
    if (!requestedMs || requestedMs <= 0) return Math.min(this.defaultTtlMs, this.maxTtlMs);
    return Math.max(1000, Math.min(requestedMs, this.maxTtlMs));
  }

  /** Issues a certificate for `req` signed by this CA. */
  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    const now = Date.now();
    const notBefore = req.notBefore ?? new Date(now - CLOCK_SKEW_MS);
    const notAfter = req.notAfter ?? new Date(now + this.defaultTtlMs);
    const serial = randomSerial();
    const names: x509.JsonGeneralName[] = [
      ...(req.uris ?? []).map((value) => ({ type: 'url' as const, value })),
      ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(req.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const subject = req.subject ?? '';
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(req.isCa === true, undefined, true),
      new x509.KeyUsagesExtension(
        req.isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(this.signingCert, false),
      await x509.SubjectKeyIdentifierExtension.create(req.publicKey, false),
    ];
    if (!req.isCa) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false));
    // RFC 5280 §4.2.1.6: the SAN extension is critical when the subject is empty.
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, subject === ''));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject,
      issuer: this.signingCert.subject,
      notBefore,
      notAfter,
      publicKey: req.publicKey,
      signingKey: this.material.signingKey,
      signingAlgorithm: signingAlgorithmFor(this.material.signingKey),
      extensions,
    });
    const certPem = `${cert.toString('pem')}\n`;
    const chain = [certPem, this.material.signingCertPem, ...this.material.chainAbovePems];
    return { certPem, chainPems: dedupe(chain), serial, notBefore, notAfter };
  }
}

function dedupe(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of pems) {
    const k = p.replace(/\s+/g, '');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p.endsWith('\n') ? p : `${p}\n`);
  }
  return out;
}

function checkCsrKey(key: x509.PublicKey): void {
  const alg = key.algorithm as { name?: string; namedCurve?: string; modulusLength?: number };
  if (alg.name === 'ECDSA' && (alg.namedCurve === 'P-256' || alg.namedCurve === 'P-384')) return;
  if ((alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS') && (alg.modulusLength ?? 0) >= 2048) return;
  throw new SecurityError(SecurityErrorCode.CsrUnsupportedKey, `CSR key ${alg.name ?? '?'} ${alg.namedCurve ?? alg.modulusLength ?? ''} is not ECDSA P-256/P-384 or RSA >= 2048`);
}

interface CsrSans {
  uris: string[];
  dns: string[];
  ips: string[];
  other: number;
}

const SAN_OID = '2.5.29.17';

function csrSans(csr: x509.Pkcs10CertificateRequest): CsrSans {
  const out: CsrSans = { uris: [], dns: [], ips: [], other: 0 };
  const ext = csr.getExtension(SAN_OID);
  if (!ext) return out;
  const san = ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData);
  for (const n of san.names.items) {
    if (n.type === 'url') out.uris.push(n.value);
    else if (n.type === 'dns') out.dns.push(n.value);
    else if (n.type === 'ip') out.ips.push(n.value);
    else out.other++;
  }
  return out;
}
