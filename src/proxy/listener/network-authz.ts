/**
 * The network RBAC check of one downstream connection (Envoy's `envoy.filters.network.rbac`, run
 * once when the connection is ready): the peer identity from the verified TLS certificate, the
 * destination the client connected to, the direct remote address and the SNI. Shared by the
 * sidecar's TCP path (tcp-connection.ts) and the gateway's TLS/PASSTHROUGH path
 * (gateway-dispatch.ts), so both decide the same way.
 */
import type { Socket } from 'node:net';
import { evaluateNetworkRbac, type NetworkRbacObserver, type NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import { peerIdentity } from '../tls/peer-identity.js';
import { unmapIpv4 } from '../../envoy/cidr.js';

/** Where the client meant to connect, when it differs from the socket's local address. */
export interface OriginalDestination {
  readonly host: string;
  readonly port: number;
}

/**
 * True when `stages` allow the connection `downstream` (observer counts the decision). `sni` is the
 * ClientHello's server name when TLS is not terminated here (PASSTHROUGH); a terminated TLS socket
 * carries its own.
 */
export function networkRbacAllows(stages: readonly NetworkRbacStage[], downstream: Socket, observer: NetworkRbacObserver | undefined, originalDst?: OriginalDestination, sni?: string): boolean {
  const tlsSocket = downstream as Socket & { servername?: string | false };
  return evaluateNetworkRbac(stages, {
    destinationIp: originalDst?.host ?? unmapIpv4(downstream.localAddress),
    destinationPort: originalDst?.port ?? downstream.localPort,
    directRemoteIp: unmapIpv4(downstream.remoteAddress),
    peerPrincipal: peerIdentity(downstream)?.principal || undefined,
    requestedServerName: sni ?? (typeof tlsSocket.servername === 'string' ? tlsSocket.servername : undefined),
  }, observer).allowed;
}
