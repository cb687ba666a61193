/**
 * The proxy's TLS material, by the secret names TLS contexts reference:
 * - `default`: the workload certificate. The key is generated in this process and never leaves
 *   it; the chain comes from the CSR call ({@link SecretStore.setWorkload}). SDS also carries a
 *   `default` secret with the same chain (certificate only); it is accepted when its leaf
 *   carries our public key and is newer than what we hold, and otherwise shown but not used.
 * - `ROOTCA`: the mesh trust bundle: from SDS once received, else the root file the proxy was
 *   started with.
 * - any other name (DestinationRule `credentialName`, `<name>-cacert`): from SDS as sent.
 * Every change bumps `generation`, so TLS context caches keyed by it rebuild for new connections
 * while established connections keep theirs.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataSource } from '../../envoy/types.js';
import { keyMatchesCertificate, splitPemCertificates } from '../../security/ca/keys.js';
import { uriSans } from '../../security/identity/spiffe.js';
import type { WorkloadCertificate } from '../../security/identity/workload-identity.js';

/** Name of the workload certificate secret. */
export const DEFAULT_SECRET = 'default';
/** Name of the mesh root secret. */
export const ROOTCA_SECRET = 'ROOTCA';

/** An SDS `Secret` as decoded (the parts Weft uses). */
export interface SecretMessage {
  readonly name?: string;
  readonly tlsCertificate?: { readonly certificateChain?: DataSource; readonly privateKey?: DataSource };
  readonly validationContext?: { readonly trustedCa?: DataSource };
}

/** A key pair usable for TLS. */
export interface KeyPair {
  readonly keyPem: string;
  readonly chainPem: string;
}

/** One row of the admin secrets dump (`weft proxy-config secrets`). */
export interface SecretDumpEntry {
  readonly name: string;
  /** `WORKLOAD_CERT` / `ROOT_CA` / `CERT` / `CA`. */
  readonly type: string;
  /** Where it came from: `csr` (CA call), `sds` (ADS), `file` (bootstrap root file). */
  readonly source: string;
  readonly versionInfo: string;
  readonly lastUpdated: string;
  /** Whether TLS uses it now. */
  readonly active: boolean;
  readonly certificates: readonly CertSummary[];
}

/** A certificate in the dump. */
export interface CertSummary {
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAltNames: readonly string[];
}

/** Resolves a DataSource to text (inline string, base64 inline bytes, file, or env). */
export function dataSourceText(ds: DataSource | undefined): string | undefined {
  if (!ds) return undefined;
  if (ds.inlineString !== undefined) return ds.inlineString;
  if (ds.inlineBytes !== undefined) return Buffer.from(ds.inlineBytes, 'base64').toString('utf8');
  if (ds.filename !== undefined) return readFileSync(ds.filename, 'utf8');
  if (ds.environmentVariable !== undefined) return process.env[ds.environmentVariable];
  return undefined;
}

/** Holds the proxy's secrets. */
export class SecretStore {
  private workload: WorkloadCertificate | undefined;
  private workloadAt = '';
  private bootstrapRoot: string | undefined;
  private sds: ReadonlyMap<string, SecretMessage> = new Map();
  private sdsVersion = '';
  private sdsAt = '';
  /** Bumped on every change. */
  generation = 0;
  private readonly listeners = new Set<() => void>();

  /** The trust domain of this workload (for peer checks); from its SPIFFE ID. */
  constructor(readonly trustDomain: string = 'cluster.local') {}

  /** Called after every change. */
  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Installs a certificate obtained from the CA. */
  setWorkload(cert: WorkloadCertificate): void {
    this.workload = cert;
    this.workloadAt = new Date().toISOString();
    this.changed();
  }

  /** The root from the file the proxy was started with (until SDS sends ROOTCA). */
  setBootstrapRoot(pem: string): void {
    this.bootstrapRoot = pem;
    this.changed();
  }

  /** Replaces the SDS secrets (an accepted Secret update). */
  updateSds(secrets: ReadonlyMap<string, object>, version: string): void {
    this.sds = secrets as ReadonlyMap<string, SecretMessage>;
    this.sdsVersion = version;
    this.sdsAt = new Date().toISOString();
    this.changed();
  }

  /** The current workload certificate, if any. */
  workloadCertificate(): WorkloadCertificate | undefined {
    return this.workload;
  }

  /** The key pair for a certificate secret name, or undefined when not (yet) available. */
  keyPair(name: string): KeyPair | undefined {
    if (name === DEFAULT_SECRET) {
      const w = this.workload;
      if (!w) return undefined;
      const fromSds = dataSourceText(this.sds.get(DEFAULT_SECRET)?.tlsCertificate?.certificateChain);
      // SDS may carry a newer chain for our key (e.g. re-issued); use it when it matches.
      if (fromSds && fromSds !== w.chainPem && keyMatchesCertificate(w.keyPem, fromSds)) {
        const sdsLeaf = new X509Certificate(fromSds);
        if (new Date(sdsLeaf.validTo) > w.notAfter) return { keyPem: w.keyPem, chainPem: fromSds };
      }
      return { keyPem: w.keyPem, chainPem: w.chainPem };
    }
    const s = this.sds.get(name)?.tlsCertificate;
    const chainPem = dataSourceText(s?.certificateChain);
    const keyPem = dataSourceText(s?.privateKey);
    return chainPem && keyPem ? { keyPem, chainPem } : undefined;
  }

  /** The trust bundle PEM for a validation secret name, or undefined. */
  trustBundle(name: string): string | undefined {
    const sds = dataSourceText(this.sds.get(name)?.validationContext?.trustedCa);
    if (sds) return sds;
    return name === ROOTCA_SECRET ? this.bootstrapRoot : undefined;
  }

  /** The secrets section of `/config_dump`. */
  dump(): SecretDumpEntry[] {
    const out: SecretDumpEntry[] = [];
    const w = this.workload;
    if (w) {
      out.push({
        name: DEFAULT_SECRET, type: 'WORKLOAD_CERT', source: 'csr', versionInfo: w.serial, lastUpdated: this.workloadAt, active: true,
        certificates: w.chainPems.map(summarize).filter((c): c is CertSummary => c !== undefined),
      });
    }
    for (const [name, s] of this.sds) {
      if (name === DEFAULT_SECRET && w) continue;
      const pem = dataSourceText(s.tlsCertificate?.certificateChain) ?? dataSourceText(s.validationContext?.trustedCa) ?? '';
      out.push({
        name, type: name === ROOTCA_SECRET ? 'ROOT_CA' : s.validationContext ? 'CA' : 'CERT', source: 'sds', versionInfo: this.sdsVersion,
        lastUpdated: this.sdsAt, active: true, certificates: splitPemCertificates(pem).map(summarize).filter((c): c is CertSummary => c !== undefined),
      });
    }
    if (!this.sds.has(ROOTCA_SECRET) && this.bootstrapRoot) {
      out.push({
        name: ROOTCA_SECRET, type: 'ROOT_CA', source: 'file', versionInfo: '', lastUpdated: '', active: true,
        certificates: splitPemCertificates(this.bootstrapRoot).map(summarize).filter((c): c is CertSummary => c !== undefined),
      });
    }
    return out;
  }

  private changed(): void {
    this.generation++;
    for (const fn of this.listeners) fn();
  }
}

function summarize(pem: string): CertSummary | undefined {
  try {
    const x = new X509Certificate(pem);
    const sans = [...uriSans(x.subjectAltName)];
    for (const e of (x.subjectAltName ?? '').split(', ')) if (e.startsWith('DNS:')) sans.push(e.slice(4));
    return {
      serialNumber: x.serialNumber.toLowerCase(),
      notBefore: new Date(x.validFrom).toISOString(),
      notAfter: new Date(x.validTo).toISOString(),
      subject: (x.subject ?? '').replace(/\n/g, ', '),
      issuer: (x.issuer ?? '').replace(/\n/g, ', '),
      subjectAltNames: sans,
    };
  } catch {
    return undefined;
  }
}
