/**
 * The CA's gRPC endpoint (port 15012, TLS): Istio's `IstioCertificateService/CreateCertificate`.
 *
 * Transport: TLS with a server certificate for `istiod.istio-system.svc` (plus the `.cluster.local`
 * form and the bind address) issued by the mesh CA at start; clients verify it against the root
 * certificate they were given as a file. Client certificates are requested but optional.
 *
 * Who may have which identity:
 * - a verified client certificate (a workload renewing): the identity is its SPIFFE URI SAN;
 * - else `authorization: Bearer <bootstrap token>` metadata: the identity the token is bound to
 *   (bootstrap-token.ts; single use);
 * - else UNAUTHENTICATED.
 * The CSR's SAN must equal that identity (PERMISSION_DENIED `CSR_IDENTITY_MISMATCH` otherwise). The
 * private key never reaches this server: it only sees the CSR's public key.
 */
import * as grpc from '@grpc/grpc-js';
import { SecurityError, SecurityErrorCode } from '../errors.js';
import { certificateSpiffeId, requireSpiffeId, type SpiffeId } from '../identity/spiffe.js';
import type { BootstrapTokens } from './bootstrap-token.js';
import type { CertificateAuthority, IssuedCertificate } from './certificate-authority.js';
import { istioCertificateService, type IstioCertificateRequest, type IstioCertificateResponse } from './csr-proto.js';
import { generateP256, privateKeyToPem } from './keys.js';
import { StaticCertificateProvider } from './static-cert-provider.js';

/** The DNS name clients expect on the CSR server's certificate (istiod's). */
export const CA_SERVER_NAME = 'istiod.istio-system.svc';
/** Default port. */
export const CA_PORT = 15012;
/** Metadata key carrying the requesting proxy's node id. */
export const NODE_ID_METADATA = 'WEFT_NODE_ID';

/** One certificate the server issued. */
export interface IssuedRecord {
  readonly identity: SpiffeId;
  /** `WEFT_NODE_ID` from the request metadata (unverified; consumers check it against the identity). */
  readonly nodeId: string | undefined;
  readonly issued: IssuedCertificate;
  /** How the requester authenticated. */
  readonly via: 'token' | 'certificate';
}

/** Options of {@link CsrServer}. */
export interface CsrServerOptions {
  readonly ca: CertificateAuthority;
  readonly tokens: BootstrapTokens;
  readonly host?: string;
  /** Default 15012; 0 = any free port. */
  readonly port?: number;
  /** Called after each successful issuance. */
  readonly onIssued?: (record: IssuedRecord) => void;
  /** Called on each refusal (for logs). */
  readonly onRefused?: (err: SecurityError) => void;
  /**
   * Adds more services to the same server before it binds (the control plane's ADS: istiod serves
   * xDS and the CA on one TLS port, 15012). They share its TLS: the server certificate, and client
   * certificates requested, verified against the mesh root, and optional at the TLS layer.
   */
  readonly register?: (server: grpc.Server) => void;
  /** Extra @grpc/grpc-js server options (those the registered services need). */
  readonly serverOptions?: grpc.ServerOptions;
}

const STATUS_OF: Readonly<Partial<Record<SecurityErrorCode, grpc.status>>> = {
  [SecurityErrorCode.Unauthenticated]: grpc.status.UNAUTHENTICATED,
  [SecurityErrorCode.TokenInvalid]: grpc.status.UNAUTHENTICATED,
  [SecurityErrorCode.CsrIdentityMismatch]: grpc.status.PERMISSION_DENIED,
  [SecurityErrorCode.CsrInvalid]: grpc.status.INVALID_ARGUMENT,
  [SecurityErrorCode.CsrUnsupportedKey]: grpc.status.INVALID_ARGUMENT,
};

/** Serves CreateCertificate over TLS. */
export class CsrServer {
  private server: grpc.Server | undefined;
  private bound = 0;

  constructor(private readonly opts: CsrServerOptions) {}

  /** The bound port (after start). */
  get port(): number {
    return this.bound;
  }

  /** Issues the server certificate, binds and serves; resolves with the bound port. */
  async start(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    const keys = await generateP256();
    const serverCert = await this.opts.ca.issue({
      publicKey: keys.publicKey,
      dnsNames: [CA_SERVER_NAME, `${CA_SERVER_NAME}.cluster.local`, 'localhost'],
      ips: /^[\d.]+$/.test(host) || host.includes(':') ? [host] : [],
      notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    });
    const root = Buffer.from(this.opts.ca.rootCertPem);
    const identity = { certificate: Buffer.from(serverCert.chainPems.join('')), privateKey: Buffer.from(await privateKeyToPem(keys.privateKey)) };
    const provider = new StaticCertificateProvider(root, identity);
    const creds = grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
    const server = new grpc.Server(this.opts.serverOptions);
    server.addService(istioCertificateService, {
      CreateCertificate: (call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>, cb: grpc.sendUnaryData<IstioCertificateResponse>) => {
        this.handle(call).then(
          (res) => cb(null, res),
          (err: unknown) => {
            const e = err instanceof SecurityError ? err : new SecurityError(SecurityErrorCode.CsrRequestFailed, (err as Error).message, { cause: err });
            this.opts.onRefused?.(e);
            cb({ code: STATUS_OF[e.code] ?? grpc.status.INTERNAL, details: e.message });
          },
        );
      },
    });
    this.opts.register?.(server);
    const target = `${host.includes(':') ? `[${host}]` : host}:${this.opts.port ?? CA_PORT}`;
    this.bound = await new Promise<number>((resolve, reject) => server.bindAsync(target, creds, (err, port) => (err ? reject(err) : resolve(port))));
    this.server = server;
    return this.bound;
  }

  /** Stops serving (in-flight calls get a short grace). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, 1000);
      s.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private async handle(call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>): Promise<IstioCertificateResponse> {
    const { identity, via } = await this.authenticate(call);
    const req = call.request;
    const issued = await this.opts.ca.signCsr({ csrPem: req.csr, identity, ttlMs: (req.validity_duration ?? 0) * 1000 });
    this.opts.onIssued?.({ identity, nodeId: req.metadata?.[NODE_ID_METADATA], issued, via });
    return { cert_chain: [...issued.chainPems] };
  }

  private async authenticate(call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>): Promise<{ identity: SpiffeId; via: 'token' | 'certificate' }> {
    const peer = call.getAuthContext()?.sslPeerCertificate;
    if (peer?.raw) {
      const uri = certificateSpiffeId(peer.raw);
      if (!uri) throw new SecurityError(SecurityErrorCode.Unauthenticated, 'client certificate carries no SPIFFE identity');
      return { identity: requireSpiffeId(uri), via: 'certificate' };
    }
    const auth = call.metadata.get('authorization')[0];
    const text = typeof auth === 'string' ? auth : auth?.toString();
    const m = text ? /^Bearer\s+(\S+)$/i.exec(text) : null;
    if (!m) throw new SecurityError(SecurityErrorCode.Unauthenticated, 'no client certificate and no "authorization: Bearer <bootstrap token>" metadata');
    return { identity: await this.opts.tokens.consume(m[1]!), via: 'token' };
  }
}
