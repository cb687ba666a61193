/**
 * A fixed gRPC certificate provider (trust bundle and/or key pair). It lets the CSR server ask for
 * client certificates without requiring them: @grpc/grpc-js's provider-based server credentials
 * set `requestCert` with `rejectUnauthorized: false`, so token-only first requests connect, and a
 * verified client certificate, when sent, shows in the call's auth context (renewals).
 */
import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdListener = experimental.IdentityCertificateUpdateListener;

/** A provider that always reports the same material. */
export class StaticCertificateProvider implements CertificateProvider {
  constructor(private readonly ca: Buffer | null, private readonly identity: { certificate: Buffer; privateKey: Buffer } | null) {}

  /** Reports the trust bundle on the next tick (grpc-js registers its watcher after this call returns). */
  addCaCertificateListener(listener: CaListener): void {
    setImmediate(() => listener(this.ca ? { caCertificate: this.ca } : null));
  }

  /** Nothing to undo. */
  removeCaCertificateListener(_listener: CaListener): void {}

  /** Reports the key pair on the next tick. */
  addIdentityCertificateListener(listener: IdListener): void {
    setImmediate(() => listener(this.identity));
  }

  /** Nothing to undo. */
  removeIdentityCertificateListener(_listener: IdListener): void {}
}
