/**
 * A filter chain's network RBAC filters compiled outside a push (AuthorizationPolicy on TCP): a
 * config that does not compile denies every connection on the chain: fail closed, never open.
 * Only the fallback of tcp-routes.ts `tcpRouteOfChain` for a chain object no push compiled uses it;
 * chains of accepted listeners were compiled strictly at push time (compiled-listener.ts), where
 * a bad config NACKs the update.
 */
import { compileNetworkRbac, type NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import { NETWORK_RBAC_FILTER } from '../../envoy/rbac/types.js';
import type { FilterChain } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** Denies every connection: the stage used when a chain's RBAC config cannot be compiled (fail closed). */
const INVALID_RBAC_POLICY = 'weft-invalid-network-rbac-config';

/** The network RBAC filters of a chain; a config that does not compile denies every connection. */
export function chainRbac(chain: FilterChain, name: string): readonly NetworkRbacStage[] {
  try {
    return compileNetworkRbac(chain.filters ?? [], `${name}.filters`) ?? [];
  } catch {
    const any = { permissions: [{ any: true }], principals: [{ any: true }] };
    return compileNetworkRbac([{ name: NETWORK_RBAC_FILTER, typedConfig: { '@type': TypeUrl.NetworkRbac, statPrefix: 'tcp.', rules: { action: 'DENY', policies: { [INVALID_RBAC_POLICY]: any } } } }]) ?? [];
  }
}
