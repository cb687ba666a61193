/**
 * The glue between the listener manager and inbound TLS: which inbound ports to bind (ports whose
 * chains accept only TLS are not in the snapshot's plaintext map), the accept hook that sends each
 * connection through {@link dispatchInbound}, and the HTTP connection manager serving a request
 * (TLS chain for mTLS connections, plaintext chain otherwise) with `x-forwarded-client-cert`
 * applied.
 */
import type { DownstreamRequest } from '../http/downstream.js';
import type { Socket } from 'node:net';
import type { HcmRuntime, RuntimeSnapshot } from './runtime-snapshot.js';
import { dispatchInbound, type InboundDispatchDeps } from './inbound-dispatch.js';
import { inboundPlans } from './inbound-plan.js';
import { peerIdentity } from '../tls/peer-identity.js';
import { applyXfcc } from '../tls/xfcc.js';

/** Inbound TLS settings of a listener manager. */
export type InboundTlsSupport = InboundDispatchDeps;

/** Every inbound port to bind (plaintext entry points and TLS-only ones) with a representative HCM. */
export function inboundPortsToBind(snapshot: RuntimeSnapshot, podIp: string): Map<number, HcmRuntime> {
  const ports = new Map(snapshot.inboundByPort);
  for (const [port, plan] of inboundPlans(snapshot, podIp)) {
    const hcm = plan.plaintext ?? plan.tls?.hcm;
    if (hcm && !ports.has(port)) ports.set(port, hcm);
  }
  return ports;
}

/** The accept hook of inbound port `port`: dispatches by the plan of the current snapshot. */
export function inboundAcceptHook(current: () => RuntimeSnapshot, podIp: string, port: number, deps: InboundDispatchDeps): (socket: Socket, deliver: (s: Socket) => void) => void {
  return (socket, deliver) => dispatchInbound(socket, inboundPlans(current(), podIp).get(port), deps, deliver);
}

/** The connection manager for an inbound request on `port`, after applying the XFCC policy. */
export function inboundHcmFor(snapshot: RuntimeSnapshot, podIp: string, port: number, req: DownstreamRequest): HcmRuntime | undefined {
  const plan = inboundPlans(snapshot, podIp).get(port);
  const peer = peerIdentity(req.socket);
  const encrypted = (req.socket as Socket & { encrypted?: boolean }).encrypted === true;
  const hcm = encrypted ? plan?.tls?.hcm : (plan?.plaintext ?? snapshot.inboundByPort.get(port));
  if (hcm) applyXfcc(req.headers, hcm.config.forwardClientCertDetails, peer);
  return hcm;
}
