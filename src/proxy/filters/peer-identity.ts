/**
 * The verified identity of the peer of a downstream connection (`source.principal` in Istio's
 * terms): the SPIFFE URI SAN of the client certificate of an authenticated mTLS connection.
 * The stream's own `peerPrincipal`, when set, wins; otherwise a resolver reads the socket. The
 * default resolver takes the identity the inbound mTLS code attached to the connection after its
 * checks (`src/proxy/tls/peer-identity.ts`), else a string recorded under
 * {@link PEER_PRINCIPAL_PROPERTY}, else an authorized `TLSSocket`'s URI SAN. Tests and embedders
 * without TLS can install another resolver.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { sourcePrincipal } from '../tls/peer-identity.js';

/** Returns the peer's principal (`spiffe://…`) for a connection, or undefined. */
export type PeerIdentityResolver = (socket: Socket) => string | undefined;

/** Property under which TLS code may record a socket's verified principal. */
export const PEER_PRINCIPAL_PROPERTY = 'weftPeerPrincipal';

/** Reads the SPIFFE id of an authorized TLS peer (or the recorded property). */
export const tlsPeerIdentity: PeerIdentityResolver = (socket) => {
  const verified = sourcePrincipal(socket);
  if (verified !== '') return verified;
  const recorded = (socket as Socket & { [PEER_PRINCIPAL_PROPERTY]?: unknown })[PEER_PRINCIPAL_PROPERTY];
  if (typeof recorded === 'string') return recorded;
  const tls = socket as Partial<TLSSocket>;
  if (tls.encrypted !== true || tls.authorized !== true || typeof tls.getPeerCertificate !== 'function') return undefined;
  const san = tls.getPeerCertificate().subjectaltname ?? '';
  for (const part of san.split(',')) {
    const p = part.trim();
    if (p.startsWith('URI:spiffe://')) return p.slice(4);
  }
  return undefined;
};

let resolver: PeerIdentityResolver = tlsPeerIdentity;

/** Installs the resolver used by every proxy in this process (returns the previous one). */
export function setPeerIdentityResolver(r: PeerIdentityResolver): PeerIdentityResolver {
  const prev = resolver;
  resolver = r;
  return prev;
}

/** The peer principal of a socket under the current resolver. */
export function peerIdentity(socket: Socket | null | undefined): string | undefined {
  return socket ? resolver(socket) : undefined;
}
