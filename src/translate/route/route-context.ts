/**
 * What the route builders need to know besides the VirtualService: the proxy's scope, the port the
 * routes serve, the gateway names they are built for, and how to find a destination's hash policy.
 */
import type { HashPolicy } from '../../envoy/types/route.js';
import type { ProxyScope } from '../proxy-scope.js';

/**
 * Finds the consistent-hash policy of a destination (host FQDN, subset, port) from its
 * DestinationRule; undefined when the destination does not hash.
 */
export type HashPolicyLookup = (host: string, subset: string | undefined, port: number) => HashPolicy | undefined;

/** Context of one route build. */
export interface RouteContext {
  readonly scope: ProxyScope;
  /** Port the routes serve: the service port for sidecars, the Gateway server's port for gateways. */
  readonly port: number;
  /** `{mesh}` for sidecars, `{ns/name}` of the Gateway for gateway routes. */
  readonly gatewayNames: ReadonlySet<string>;
  /** The server terminates TLS (affects redirect default scheme). */
  readonly isTls: boolean;
  readonly hashPolicy: HashPolicyLookup;
}

/** A lookup that never hashes (for callers without DestinationRules). */
export const NO_HASH_POLICY: HashPolicyLookup = () => undefined;
