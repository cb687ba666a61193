/**
 * The verified identity of a downstream mTLS peer, attached to its connection once the handshake
 * and checks passed. Later filters read it as Istio's `source.principal` (authorization), telemetry
 * as `source_principal` with `connection_security_policy="mutual_tls"`, and the inbound listener
 * forwards it to the app in `x-forwarded-client-cert`.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseSpiffeId } from '../../security/identity/spiffe.js';
import { sanEntries } from './peer-verification.js';

/** What is known about a verified peer. */
export interface PeerIdentity {
  /** SPIFFE URI SAN (`spiffe://cluster.local/ns/default/sa/sleep`), or the first URI SAN, or ''. */
  readonly principal: string;
  /** Every URI SAN. */
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  /** SHA-256 of the peer certificate (DER), hex, as in XFCC `Hash=`. */
  readonly certHash: string;
  readonly subject: string;
  /** Our own principal (XFCC `By=`). */
  readonly localPrincipal: string;
  /** Negotiated ALPN (`istio`, `http/1.1`, or false). */
  readonly alpn: string | false;
}

const PEER: unique symbol = Symbol('weft.peerIdentity');
type Tagged = { [PEER]?: PeerIdentity };

/** Reads the peer identity of a verified TLS socket. */
export function identityOf(socket: TLSSocket, localPrincipal: string): PeerIdentity {
  const cert = socket.getPeerCertificate();
  const sans = sanEntries(cert.subjectaltname);
  const uris = sans.filter((s) => s.type === 'URI').map((s) => s.value);
  return {
    principal: uris.find((u) => parseSpiffeId(u) !== undefined) ?? uris[0] ?? '',
    uriSans: uris,
    dnsSans: sans.filter((s) => s.type === 'DNS').map((s) => s.value),
    certHash: cert.raw ? createHash('sha256').update(cert.raw).digest('hex') : '',
    subject: cert.subject ? Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(',') : '',
    localPrincipal,
    alpn: socket.alpnProtocol ?? false,
  };
}

/** Attaches a verified identity to a connection. */
export function setPeerIdentity(socket: Socket, id: PeerIdentity): void {
  (socket as Socket & Tagged)[PEER] = id;
}

/** The verified mTLS peer of a connection (undefined for plaintext). */
export function peerIdentity(socket: Socket | null | undefined): PeerIdentity | undefined {
  return socket ? (socket as Socket & Tagged)[PEER] : undefined;
}

/** Istio's `source.principal` of a connection ('' when not mTLS). */
export function sourcePrincipal(socket: Socket | null | undefined): string {
  return peerIdentity(socket)?.principal ?? '';
}
