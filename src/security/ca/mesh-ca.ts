/**
 * The control plane's CA service in one piece: loads the CA (plug-in `cacerts` directory, else
 * Weft's self-signed root in the state directory, else an in-memory root), the bootstrap-token key,
 * and serves CreateCertificate on 15012 (csr-server.ts). It remembers the last chain issued to each
 * proxy (by node id) and renders what SDS carries for a proxy:
 * - `default`: `tlsCertificate.certificateChain` = that proxy's current chain (leaf first). The
 *   private key is NOT in it: it exists only inside the proxy, which pairs the chain with it;
 * - `ROOTCA`: `validationContext.trustedCa` = the mesh root.
 * A chain is served only to the proxy whose node metadata (namespace, service account) matches the
 * identity the chain was issued for.
 */
import { BootstrapTokens } from './bootstrap-token.js';
import path from 'node:path';
import { caFromRoot, createSelfSignedRoot, loadOrCreateSelfSignedCa, loadPluginCa, PLUGIN_FILES, SELF_SIGNED_FILES } from './ca-store.js';
import type { CertificateAuthority, IssuedCertificate } from './certificate-authority.js';
import { CsrServer, type CsrServerOptions, type IssuedRecord } from './csr-server.js';
import type { SecurityError } from '../errors.js';
import { formatSpiffeId, type SpiffeId } from '../identity/spiffe.js';

/** Name of the workload certificate secret (istiod's). */
export const SECRET_DEFAULT = 'default';
/** Name of the mesh trust bundle secret (istiod's). */
export const SECRET_ROOTCA = 'ROOTCA';

/** Settings of the mesh CA. */
export interface MeshCaOptions {
  readonly trustDomain: string;
  /** Where `ca-key.pem`, `root-cert.pem` and `bootstrap-token.key` live; absent = in memory only. */
  readonly stateDir?: string;
  /** An Istio `cacerts` directory; takes precedence over the self-signed root. */
  readonly pluginCaDir?: string;
  readonly host?: string;
  /** CSR service port (default 15012; 0 = any). */
  readonly port?: number;
  /** Default workload certificate lifetime (24 h). */
  readonly workloadTtlMs?: number;
  /** Called after a certificate was issued for a proxy (the control plane pushes its SDS). */
  readonly onIssued?: (record: IssuedRecord) => void;
  readonly log?: (line: string) => void;
  /** More services on the CA's TLS server (the control plane's ADS); see csr-server.ts. */
  readonly register?: CsrServerOptions['register'];
  /** Extra @grpc/grpc-js server options for the CA's server. */
  readonly serverOptions?: CsrServerOptions['serverOptions'];
}

/** An Envoy `Secret` in Weft's object form. */
export interface SecretResource {
  readonly name: string;
  readonly tlsCertificate?: { readonly certificateChain: { readonly inlineString: string } };
  readonly validationContext?: { readonly trustedCa: { readonly inlineString: string } };
}

/** CA + token key + CSR server + per-proxy SDS view. */
export class MeshCa {
  private server: CsrServer | undefined;
  private readonly issued = new Map<string, { identity: string; cert: IssuedCertificate; secret: SecretResource }>();
  private rootSecret: SecretResource | undefined;

  private constructor(readonly ca: CertificateAuthority, readonly tokens: BootstrapTokens, private readonly opts: MeshCaOptions, readonly source: string) {}

  /** Loads (or creates) the CA and token key; does not bind yet. */
  static async load(opts: MeshCaOptions): Promise<MeshCa> {
    const caOpts = { trustDomain: opts.trustDomain, defaultTtlMs: opts.workloadTtlMs };
    if (opts.pluginCaDir) {
      const ca = await loadPluginCa(opts.pluginCaDir, caOpts);
      const tokens = opts.stateDir ? await BootstrapTokens.loadOrCreate(opts.stateDir) : BootstrapTokens.ephemeral();
      return new MeshCa(ca, tokens, opts, `plug-in CA from ${opts.pluginCaDir}`);
    }
    if (opts.stateDir) {
      const { ca, created } = await loadOrCreateSelfSignedCa(opts.stateDir, caOpts);
      return new MeshCa(ca, await BootstrapTokens.loadOrCreate(opts.stateDir), opts, `${created ? 'new' : 'existing'} self-signed root in ${opts.stateDir}`);
    }
    const ca = await caFromRoot(await createSelfSignedRoot({ trustDomain: opts.trustDomain, commonName: 'Weft root CA' }), caOpts);
    return new MeshCa(ca, BootstrapTokens.ephemeral(), opts, 'in-memory self-signed root');
  }

  /** The file holding the root certificate proxies are given (`--ca-root`), if it is on disk. */
  get rootCertFile(): string | undefined {
    if (this.opts.pluginCaDir) return path.join(this.opts.pluginCaDir, PLUGIN_FILES.root);
    return this.opts.stateDir ? path.join(this.opts.stateDir, SELF_SIGNED_FILES.root) : undefined;
  }

  /** The mesh root, PEM (what proxies are given as their CA file). */
  get rootCertPem(): string {
    return this.ca.rootCertPem;
  }

  /** Bound CSR port (after start). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Starts the CSR service. */
  async start(): Promise<number> {
    this.server = new CsrServer({
      ca: this.ca,
      tokens: this.tokens,
      host: this.opts.host,
      port: this.opts.port,
      onIssued: (r) => this.record(r),
      onRefused: (e: SecurityError) => this.opts.log?.(`ca: refused a CSR: ${e.message}`),
      register: this.opts.register,
      serverOptions: this.opts.serverOptions,
    });
    return this.server.start();
  }

  /** Stops the CSR service. */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  /** A single-use bootstrap token for `namespace`/`serviceAccount` (see bootstrap-token.ts). */
  mintToken(namespace: string, serviceAccount: string, ttlMs?: number): Promise<string> {
    const id: SpiffeId = { trustDomain: this.ca.trustDomain, namespace, serviceAccount };
    return this.tokens.mint(id, ttlMs);
  }

  /** Secrets SDS serves to the proxy `nodeId` running as `namespace`/`serviceAccount`. */
  secretsFor(nodeId: string, namespace: string, serviceAccount: string): Map<string, SecretResource> {
    this.rootSecret ??= { name: SECRET_ROOTCA, validationContext: { trustedCa: { inlineString: this.ca.rootCertPem } } };
    const out = new Map<string, SecretResource>([[SECRET_ROOTCA, this.rootSecret]]);
    const rec = this.issued.get(nodeId);
    const identity = formatSpiffeId({ trustDomain: this.ca.trustDomain, namespace, serviceAccount });
    if (rec && rec.identity === identity && rec.cert.notAfter.getTime() > Date.now()) out.set(SECRET_DEFAULT, rec.secret);
    return out;
  }

  private record(r: IssuedRecord): void {
    const identity = formatSpiffeId(r.identity);
    this.opts.log?.(`ca: issued ${identity} serial ${r.issued.serial} until ${r.issued.notAfter.toISOString()} (${r.via})`);
    if (r.nodeId) {
      // Bounded: one entry per proxy id; a proxy that re-registers replaces its entry.
      this.issued.set(r.nodeId, {
        identity,
        cert: r.issued,
        secret: { name: SECRET_DEFAULT, tlsCertificate: { certificateChain: { inlineString: r.issued.chainPems.join('') } } },
      });
      if (this.issued.size > 50_000) this.prune();
    }
    this.opts.onIssued?.(r);
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, v] of this.issued) if (v.cert.notAfter.getTime() <= now) this.issued.delete(k);
  }
}
