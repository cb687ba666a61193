/**
 * Istio metric labels that depend on the connection's TLS peer: on the server side
 * (`reporter="destination"`) a verified mTLS client sets `connection_security_policy="mutual_tls"`
 * and `source_principal`; on the client side (`reporter="source"`) the verified upstream sets
 * `destination_principal` (`connection_security_policy` stays `unknown` there, as in Istio).
 * Variants are cached per (target, principal), so a request allocates nothing once seen.
 */
import type { Socket } from 'node:net';
import type { TelemetryTarget } from '../stats/telemetry.js';
import { peerIdentity } from './peer-identity.js';

const inboundCache = new WeakMap<TelemetryTarget, Map<string, TelemetryTarget>>();
const outboundCache = new WeakMap<TelemetryTarget, Map<string, TelemetryTarget>>();

/** `target` adjusted for the downstream (inbound) or upstream (outbound) TLS peer of a request. */
export function peerTelemetry(target: TelemetryTarget, inbound: boolean, downstream: Socket | null | undefined, upstream: Socket | null | undefined): TelemetryTarget {
  const p = peerIdentity(inbound ? downstream : upstream);
  if (!p || (!inbound && !p.principal)) return target;
  const cache = inbound ? inboundCache : outboundCache;
  let byPrincipal = cache.get(target);
  if (!byPrincipal) cache.set(target, (byPrincipal = new Map()));
  let t = byPrincipal.get(p.principal);
  if (!t) {
    t = inbound
      ? target.variant({ connection_security_policy: 'mutual_tls', source_principal: p.principal || 'unknown' })
      : target.variant({ destination_principal: p.principal });
    byPrincipal.set(p.principal, t);
  }
  return t;
}
