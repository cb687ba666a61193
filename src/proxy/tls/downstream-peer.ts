/**
 * The verified client certificate of a downstream connection, for `x-forwarded-client-cert`:
 * the mesh peer attached at inbound dispatch (peer-identity.ts), or, on a gateway listener that
 * requested and verified a client certificate (Gateway `tls.mode: MUTUAL`), that certificate's
 * details — Envoy builds XFCC from any verified downstream certificate. Plaintext and unverified
 * connections have none. Built once per connection.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { identityOf, peerIdentity, type PeerIdentity } from './peer-identity.js';

const gatewayPeers = new WeakMap<Socket, PeerIdentity | null>();

/** The verified peer of `socket`, or undefined. */
export function downstreamPeer(socket: Socket | null | undefined): PeerIdentity | undefined {
  if (!socket) return undefined;
  const mesh = peerIdentity(socket);
  if (mesh !== undefined) return mesh;
  const t = socket as Partial<TLSSocket>;
  if (t.encrypted !== true || t.authorized !== true || typeof t.getPeerCertificate !== 'function') return undefined;
  let p = gatewayPeers.get(socket);
  if (p === undefined) {
    const cert = t.getPeerCertificate();
    // No client certificate: Node reports an empty object.
    p = cert !== undefined && cert !== null && cert.raw !== undefined ? identityOf(socket as TLSSocket, '') : null;
    gatewayPeers.set(socket, p);
  }
  return p ?? undefined;
}
