/**
 * The proxy's client of the CA's CreateCertificate (csr-server.ts): TLS to port 15012, the server
 * verified against the mesh root (the file `weft up` hands out) and the name
 * `istiod.istio-system.svc`; authenticated by a bootstrap token (first certificate) or by the
 * current workload certificate as TLS client certificate (renewals). Returns the chain, leaf first.
 */
import * as grpc from '@grpc/grpc-js';
import { CA_SERVER_NAME, NODE_ID_METADATA } from '../ca/csr-server.js';
import { istioCertificateService, type IstioCertificateResponse } from '../ca/csr-proto.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';

/** Where the CA is and how to trust it. */
export interface CaEndpoint {
  /** `host:port` of the CSR service. */
  readonly address: string;
  /** PEM of the mesh root the server's certificate chains to. */
  readonly rootCertPem: string;
  /** Name verified on the server certificate (default `istiod.istio-system.svc`). */
  readonly serverName?: string;
  /** Deadline of one call (default 10 s). */
  readonly timeoutMs?: number;
}

/** One CreateCertificate call. */
export interface CertificateRequest {
  readonly csrPem: string;
  /** Requested lifetime (0 = CA default). */
  readonly ttlMs?: number;
  readonly nodeId?: string;
  /** Bootstrap token (first certificate). */
  readonly token?: string;
  /** Current key pair (renewal): sent as TLS client certificate. */
  readonly clientCert?: { readonly keyPem: string; readonly chainPem: string };
}

/** Calls CreateCertificate; resolves with the PEM chain (leaf first), or throws CSR_REQUEST_FAILED. */
export async function requestCertificate(ca: CaEndpoint, req: CertificateRequest): Promise<string[]> {
  const root = Buffer.from(ca.rootCertPem);
  const creds = req.clientCert
    ? grpc.credentials.createSsl(root, Buffer.from(req.clientCert.keyPem), Buffer.from(req.clientCert.chainPem))
    : grpc.credentials.createSsl(root);
  const serverName = ca.serverName ?? CA_SERVER_NAME;
  const client = new grpc.Client(ca.address, creds, { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName });
  const md = new grpc.Metadata();
  if (req.token) md.set('authorization', `Bearer ${req.token}`);
  const m = istioCertificateService.CreateCertificate;
  try {
    const res = await new Promise<IstioCertificateResponse>((resolve, reject) => {
      client.makeUnaryRequest(
        m.path, m.requestSerialize, m.responseDeserialize,
        { csr: req.csrPem, validity_duration: Math.ceil((req.ttlMs ?? 0) / 1000), metadata: req.nodeId ? { [NODE_ID_METADATA]: req.nodeId } : {} },
        md, { deadline: Date.now() + (ca.timeoutMs ?? 10_000) },
        (err, value) => (err || !value ? reject(err ?? new Error('empty response')) : resolve(value)),
      );
    });
    if (res.cert_chain.length === 0) throw new SecurityError(SecurityErrorCode.BadChain, 'CA returned an empty certificate chain');
    return res.cert_chain;
  } catch (err) {
    if (err instanceof SecurityError) throw err;
    const e = err as grpc.ServiceError;
    throw new SecurityError(SecurityErrorCode.CsrRequestFailed, `CreateCertificate at ${ca.address} failed: ${e.details ?? e.message}`, { cause: err });
  } finally {
    client.close();
  }
}
