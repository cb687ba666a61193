/**
 * The per-request state the security filters share: dynamic metadata (JWT payloads, `istio_authn`
 * attributes, RBAC shadow results) and the RBAC view of the request and its connection. Kept in a
 * WeakMap keyed by the stream, so the stream object stays the router's and streams that never meet
 * a security filter pay nothing.
 */
import { unmapIpv4 } from '../../envoy/cidr.js';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { DynamicMetadata, MetadataValue } from '../../envoy/rbac/metadata-matcher.js';
import type { RbacRequest } from '../../envoy/rbac/rbac-matchers.js';
import { clientAddressOf } from './edge-policy.js';
import type { StreamInfo } from '../http/stream-info.js';
import { peerIdentity } from './peer-identity.js';

/** Mutable per-request security state. */
export interface SecurityContext {
  readonly metadata: Record<string, Record<string, MetadataValue>>;
  /** Set once the RBAC view was built (the metadata object is shared, so it stays current). */
  view: RbacRequest | undefined;
}

const contexts = new WeakMap<StreamInfo, SecurityContext>();

/** The security state of a stream (created on first use). */
export function securityContext(s: StreamInfo): SecurityContext {
  let c = contexts.get(s);
  if (!c) contexts.set(s, (c = { metadata: {}, view: undefined }));
  return c;
}

/** Sets one dynamic metadata value. */
export function setMetadata(s: StreamInfo, filter: string, key: string, value: MetadataValue): void {
  const md = securityContext(s).metadata;
  (md[filter] ??= {})[key] = value;
}

/** The dynamic metadata of a stream. */
export function metadataOf(s: StreamInfo): DynamicMetadata {
  return securityContext(s).metadata;
}

/**
 * The client address Envoy's connection manager settles on: with `useRemoteAddress` (gateways) the
 * trusted client address the request-headers filter found (the peer, or the `xffNumTrustedHops`-th
 * XFF entry from the right: mesh config `gatewayTopology.numTrustedProxies`); otherwise the
 * right-most valid x-forwarded-for entry (0 trusted hops), else the peer.
 */
export function remoteAddress(s: StreamInfo): string | undefined {
  const peer = unmapIpv4(s.request.socket?.remoteAddress);
  if (s.connectionManager.useRemoteAddress) return clientAddressOf(s.request) ?? peer;
  const xff = s.headers['x-forwarded-for'];
  const v = typeof xff === 'string' ? xff : Array.isArray(xff) ? xff.join(',') : undefined;
  if (v) {
    const last = v.slice(v.lastIndexOf(',') + 1).trim();
    if (isIP(last)) return unmapIpv4(last);
  }
  return peer;
}

/** The RBAC view of a stream (built once; reads the stream's current path and headers). */
export function rbacRequest(s: StreamInfo): RbacRequest {
  const c = securityContext(s);
  if (c.view) return c.view;
  const socket = s.request.socket;
  const streamPrincipal = (s as StreamInfo & { peerPrincipal?: string }).peerPrincipal;
  const principal = streamPrincipal ?? peerIdentity(socket);
  const sni = (socket as Partial<TLSSocket> | null)?.servername;
  const direct = unmapIpv4(socket?.remoteAddress);
  const remote = remoteAddress(s);
  const dstIp = unmapIpv4(socket?.localAddress);
  const dstPort = socket?.localPort;
  const view: RbacRequest = {
    get authority() { return s.authority; },
    get method() { return s.method; },
    get path() { return s.path; },
    get scheme() { return s.scheme; },
    get headers() { return s.headers; },
    destinationIp: dstIp,
    destinationPort: dstPort,
    directRemoteIp: direct,
    remoteIp: remote,
    peerPrincipal: principal,
    requestedServerName: typeof sni === 'string' ? sni : undefined,
    metadata: c.metadata,
  };
  c.view = view;
  return view;
}
