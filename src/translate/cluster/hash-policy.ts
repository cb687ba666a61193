/**
 * The route side of consistent-hash load balancing: istiod puts the hash key of a DestinationRule's
 * `consistentHash` on the routes to that destination (route.go consistentHashToHashPolicy), not on the
 * cluster. The route builder calls `hashPolicyFor` with the traffic policy that applies to the
 * destination (port and subset merged, see `traffic-policy-merge.ts`).
 */
import type { ConsistentHashLB, TrafficPolicy } from '../../config/schema/destination-rule.js';
import type { HashPolicy } from '../../envoy/types.js';
import { durationFromIstio } from './struct-values.js';
import type { ResolvedTrafficPolicy } from './traffic-policy-merge.js';

/**
 * Envoy `RouteAction.hashPolicy` entries for a traffic policy: empty when it has no consistent hash.
 * httpHeaderName → header, httpCookie → cookie {name, path, ttl, attributes} (Envoy generates the cookie when a
 * ttl is set), useSourceIp → connectionProperties.sourceIp, httpQueryParameterName → queryParameter.
 */
export function hashPolicyFor(policy: TrafficPolicy | ResolvedTrafficPolicy | undefined): readonly HashPolicy[] {
  const ch = policy?.loadBalancer?.consistentHash;
  if (!ch) return [];
  const hp = convertConsistentHash(ch);
  return hp ? [hp] : [];
}

/** One ConsistentHashLB key → one Envoy HashPolicy (undefined when no key is set). */
export function convertConsistentHash(ch: ConsistentHashLB): HashPolicy | undefined {
  if (ch.httpHeaderName !== undefined) return { header: { headerName: ch.httpHeaderName } };
  if (ch.httpCookie !== undefined) {
    const ttl = durationFromIstio(ch.httpCookie.ttl);
    return {
      cookie: {
        name: ch.httpCookie.name ?? '',
        ...(ttl ? { ttl } : {}),
        ...(ch.httpCookie.path !== undefined ? { path: ch.httpCookie.path } : {}),
        // istiod (route.go consistentHashToHashPolicy) copies `attributes` as Envoy CookieAttributes,
        // which Envoy appends to the Set-Cookie it generates.
        ...(ch.httpCookie.attributes !== undefined && ch.httpCookie.attributes.length > 0
          ? { attributes: ch.httpCookie.attributes.map((a) => ({ name: a.name ?? '', ...(a.value !== undefined ? { value: a.value } : {}) })) }
          : {}),
      },
    };
  }
  if (ch.useSourceIp) return { connectionProperties: { sourceIp: true } };
  if (ch.httpQueryParameterName !== undefined) return { queryParameter: { name: ch.httpQueryParameterName } };
  return undefined;
}
