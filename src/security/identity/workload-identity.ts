/**
 * A workload's identity as its proxy holds it: the private key (generated here, kept in memory
 * only), the certificate chain the CA issued for it, and the mesh root. `start()` obtains the first
 * certificate with the bootstrap token; afterwards the certificate is renewed on schedule
 * (rotation.ts) with a new key, authenticating with the current certificate. Each renewal emits
 * `rotated`; consumers build new TLS contexts for new connections while existing connections keep
 * the one they were established with.
 */
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { keyMatchesCertificate } from '../ca/keys.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';
import { createKeyAndCsr } from './csr.js';
import { requestCertificate, type CaEndpoint } from './csr-client.js';
import { renewalRetryDelayMs, rotationDelayMs, type RotationPolicy } from './rotation.js';
import { certificateSpiffeId } from './spiffe.js';

/** One issued certificate with its key. */
export interface WorkloadCertificate {
  readonly spiffeId: string;
  /** PKCS#8 PEM; never sent anywhere. */
  readonly keyPem: string;
  /** Leaf first, root last. */
  readonly chainPems: readonly string[];
  /** `chainPems` joined (what TLS presents; the root at its end is harmless). */
  readonly chainPem: string;
  readonly leaf: X509Certificate;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Settings of a {@link WorkloadIdentity}. */
export interface WorkloadIdentityOptions {
  readonly spiffeId: string;
  readonly ca: CaEndpoint;
  /** Bootstrap token for the first certificate. */
  readonly token?: string;
  readonly nodeId?: string;
  /** Requested lifetime (0/undefined: the CA's default). */
  readonly ttlMs?: number;
  readonly rotation?: RotationPolicy;
  readonly log?: (line: string) => void;
}

/** Events of a {@link WorkloadIdentity}. */
export interface WorkloadIdentityEvents {
  rotated: [cert: WorkloadCertificate];
}

/** Obtains and renews one workload certificate. */
export class WorkloadIdentity extends EventEmitter<WorkloadIdentityEvents> {
  private cert: WorkloadCertificate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  /** Renewals completed (for tests and diagnostics). */
  renewals = 0;

  constructor(private readonly opts: WorkloadIdentityOptions) {
    super();
  }

  /** The current certificate (undefined before `start` resolved). */
  current(): WorkloadCertificate | undefined {
    return this.cert;
  }

  /** The mesh root the CA endpoint was configured with. */
  get rootCertPem(): string {
    return this.opts.ca.rootCertPem;
  }

  /** Obtains the first certificate (bootstrap token) and schedules renewals. */
  async start(): Promise<WorkloadCertificate> {
    const cert = await this.obtain(this.opts.token, undefined);
    this.install(cert);
    return cert;
  }

  /** Renews now (normally called by the schedule). */
  async renew(): Promise<WorkloadCertificate> {
    const cur = this.cert;
    const cert = await this.obtain(undefined, cur ? { keyPem: cur.keyPem, chainPem: cur.chainPem } : undefined);
    this.renewals++;
    this.install(cert);
    return cert;
  }

  /** Cancels renewals. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private install(cert: WorkloadCertificate): void {
    this.cert = cert;
    this.failures = 0;
    this.emit('rotated', cert);
    this.schedule(rotationDelayMs(cert.notBefore.getTime(), cert.notAfter.getTime(), Date.now(), this.opts.rotation));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.onTimer(), delayMs);
    this.timer.unref();
  }

  private onTimer(): void {
    this.renew().catch((err: Error) => {
      this.failures++;
      const notAfter = this.cert?.notAfter.getTime() ?? Date.now();
      const delay = renewalRetryDelayMs(this.failures, Date.now(), notAfter);
      this.opts.log?.(`identity: renewal of ${this.opts.spiffeId} failed (${err.message}); retrying in ${delay} ms`);
      this.schedule(delay);
    });
  }

  private async obtain(token: string | undefined, clientCert: { keyPem: string; chainPem: string } | undefined): Promise<WorkloadCertificate> {
    const { keyPem, csrPem } = await createKeyAndCsr(this.opts.spiffeId);
    const chain = await requestCertificate(this.opts.ca, { csrPem, ttlMs: this.opts.ttlMs, nodeId: this.opts.nodeId, token, clientCert });
    return checkChain(this.opts.spiffeId, keyPem, chain);
  }
}

/** Validates a chain from the CA against our key and identity; throws CERT_CHAIN_INVALID. */
export function checkChain(spiffeId: string, keyPem: string, chainPems: readonly string[]): WorkloadCertificate {
  const leafPem = chainPems[0];
  if (!leafPem) throw new SecurityError(SecurityErrorCode.BadChain, 'empty certificate chain');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch (cause) {
    throw new SecurityError(SecurityErrorCode.BadChain, `leaf does not parse: ${(cause as Error).message}`, { cause });
  }
  if (!keyMatchesCertificate(keyPem, leafPem)) throw new SecurityError(SecurityErrorCode.BadChain, 'issued certificate does not carry our public key');
  const id = certificateSpiffeId(leaf);
  if (id !== spiffeId) throw new SecurityError(SecurityErrorCode.BadChain, `issued certificate is for ${id ?? 'no identity'}, expected ${spiffeId}`);
  const pems = chainPems.map((p) => (p.endsWith('\n') ? p : `${p}\n`));
  return {
    spiffeId, keyPem, chainPems: pems, chainPem: pems.join(''), leaf,
    serial: leaf.serialNumber.toLowerCase(), notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo),
  };
}
