/**
 * A proxy's security wiring in one place: its SPIFFE identity, the secret store, the workload
 * certificate obtained from the CA (CSR over TLS to port 15012 with a bootstrap token, then renewed
 * with the current certificate; the key never leaves the process) and what the listener and
 * cluster managers need for inbound and upstream TLS.
 *
 * What travels where: the CSR (public key + SPIFFE SAN) goes to the CA on 15012 and the signed
 * chain comes back on that call; the proxy uses that chain with its in-memory key immediately.
 * Over ADS (SDS) the control plane sends `ROOTCA` (trust bundle, authoritative once received) and
 * `default` (the same chain, certificate only, for `proxy-config secrets` and consistency).
 */
import { readFileSync } from 'node:fs';
import { formatSpiffeId } from '../../security/identity/spiffe.js';
import { WorkloadIdentity } from '../../security/identity/workload-identity.js';
import type { RotationPolicy } from '../../security/identity/rotation.js';
import type { StatsStore } from '../stats/stats-store.js';
import type { InboundTlsSupport } from './inbound-listener-support.js';
import { SecretStore } from '../tls/secret-store.js';
import { xdsChannelSecurity, type XdsChannelSecurity } from '../../security/identity/xds-credentials.js';
import type { UpstreamTlsDeps } from '../tls/upstream-tls-binding.js';

/** How a proxy obtains its identity. */
export interface ProxyIdentityOptions {
  /** `host:port` of the CA's CSR service (control plane port 15012). */
  readonly caAddress: string;
  /** PEM of the mesh root (to verify the CA server and peers until SDS sends ROOTCA)… */
  readonly rootCertPem?: string;
  /** …or a file holding it. */
  readonly rootCertFile?: string;
  /** Single-use bootstrap token bound to this proxy's namespace/service account. */
  readonly token?: string;
  /** Requested certificate lifetime (default: the CA's, 24 h). */
  readonly ttlMs?: number;
  readonly rotation?: RotationPolicy;
  /** Default `cluster.local`. */
  readonly trustDomain?: string;
}

/** The proxy's security state. */
export class ProxyTls {
  readonly secrets: SecretStore;
  readonly principal: string;
  readonly identity: WorkloadIdentity | undefined;
  private refused = 0;
  private readonly rootCertPem: string | undefined;
  /** Why the last inbound connection was refused (diagnostics). */
  lastRefusal = '';

  constructor(opts: ProxyIdentityOptions | undefined, who: { namespace: string; serviceAccount: string; nodeId: string; log: (l: string) => void }) {
    const trustDomain = opts?.trustDomain ?? 'cluster.local';
    this.secrets = new SecretStore(trustDomain);
    this.principal = formatSpiffeId({ trustDomain, namespace: who.namespace, serviceAccount: who.serviceAccount });
    if (!opts) {
      who.log('identity: no CA configured (--ca/--ca-root): this proxy has no workload certificate; auto mTLS falls back to plaintext and STRICT destinations will refuse it');
      return;
    }
    const root = opts.rootCertPem ?? (opts.rootCertFile ? readFileSync(opts.rootCertFile, 'utf8') : undefined);
    if (!root) throw new Error('identity: a root certificate (rootCertPem or rootCertFile) is required to reach the CA');
    this.secrets.setBootstrapRoot(root);
    this.rootCertPem = root;
    this.identity = new WorkloadIdentity({
      spiffeId: this.principal, ca: { address: opts.caAddress, rootCertPem: root }, token: opts.token,
      nodeId: who.nodeId, ttlMs: opts.ttlMs, rotation: opts.rotation, log: who.log,
    });
    this.identity.on('rotated', (c) => {
      this.secrets.setWorkload(c);
      who.log(`identity: certificate for ${c.spiffeId} serial ${c.serial} valid until ${c.notAfter.toISOString()}`);
    });
  }

  /** Obtains the first certificate (no-op without identity options). */
  async start(): Promise<void> {
    await this.identity?.start();
  }

  /**
   * mTLS to the control plane's authenticated xDS port with the workload certificate (following
   * rotation), or undefined without an identity (the proxy then needs the plaintext debug port).
   */
  xdsSecurity(): XdsChannelSecurity | undefined {
    return this.identity && this.rootCertPem ? xdsChannelSecurity(this.identity, this.rootCertPem) : undefined;
  }

  /** Stops renewals. */
  stop(): void {
    this.identity?.stop();
  }

  /** Connections refused by inbound TLS policy so far. */
  get refusedConnections(): number {
    return this.refused;
  }

  /** What the listener manager needs. */
  inboundSupport(): InboundTlsSupport {
    return { secrets: this.secrets, localPrincipal: () => this.principal, onRefused: (why) => {
      this.refused++;
      this.lastRefusal = why;
    } };
  }

  /** What the cluster manager needs. */
  upstreamDeps(store: StatsStore): UpstreamTlsDeps {
    return { secrets: this.secrets, store, hasIdentity: this.identity !== undefined };
  }
}
