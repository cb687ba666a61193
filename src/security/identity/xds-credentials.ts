/**
 * How a workload dials the control plane's authenticated xDS port (15012), as Istio's agent does:
 * mutual TLS with the workload certificate as client certificate, the server verified against the
 * mesh root and the name `istiod.istio-system.svc` (the certificate the CA issues for its own port,
 * csr-server.ts). The client certificate follows rotation: a grpc-js certificate provider reports
 * each new key pair, and new connections (reconnects) use it; open streams keep theirs, as Envoy's
 * do until they reconnect.
 */
import * as grpc from '@grpc/grpc-js';
import { CA_SERVER_NAME } from '../ca/csr-server.js';
import type { WorkloadCertificate, WorkloadIdentity } from './workload-identity.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdListener = grpc.experimental.IdentityCertificateUpdateListener;

/** A certificate provider reporting the mesh root and the workload's current key pair. */
export class WorkloadCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly idListeners = new Set<IdListener>();
  private current: WorkloadCertificate | undefined;

  constructor(private readonly identity: WorkloadIdentity, private readonly rootCertPem: string) {
    this.current = identity.current();
    identity.on('rotated', (cert) => {
      this.current = cert;
      for (const l of this.idListeners) l(pair(cert));
    });
  }

  /** Reports the mesh root on the next tick (grpc-js registers its watcher after this returns). */
  addCaCertificateListener(listener: CaListener): void {
    setImmediate(() => listener({ caCertificate: Buffer.from(this.rootCertPem) }));
  }

  /** Nothing to undo. */
  removeCaCertificateListener(_listener: CaListener): void {}

  /** Reports the current key pair (on the next tick when there is one) and every rotation after. */
  addIdentityCertificateListener(listener: IdListener): void {
    this.idListeners.add(listener);
    const cur = this.current ?? this.identity.current();
    if (cur) setImmediate(() => listener(pair(cur)));
  }

  /** Stops reporting to `listener`. */
  removeIdentityCertificateListener(listener: IdListener): void {
    this.idListeners.delete(listener);
  }
}

/** Channel credentials and options for mTLS to the control plane's xDS port. */
export interface XdsChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
}

/** mTLS to the authenticated xDS port with `identity`'s certificate, verifying `serverName` (default istiod's) against `rootCertPem`. */
export function xdsChannelSecurity(identity: WorkloadIdentity, rootCertPem: string, serverName = CA_SERVER_NAME): XdsChannelSecurity {
  const provider = new WorkloadCertificateProvider(identity, rootCertPem);
  return {
    credentials: grpc.experimental.createCertificateProviderChannelCredentials(provider, provider),
    channelOptions: { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName },
  };
}

function pair(c: WorkloadCertificate): { certificate: Buffer; privateKey: Buffer } {
  return { certificate: Buffer.from(c.chainPem), privateKey: Buffer.from(c.keyPem) };
}
