/**
 * Translation of the model snapshot into Envoy xDS resources for one proxy, as istiod does: the
 * proxy's scope, listeners, routes, and (from `./cluster/`) clusters and endpoints.
 */
export { translate, hashPolicyLookup, type TranslateOptions, type XdsResources } from './translate.js';
export { buildProxyScope, findSidecar, type EgressScope, type OutboundTrafficMode, type ProxyScope, type SelectedGateway } from './proxy-scope.js';
export { indexVirtualServices, normalizeGatewayName, MESH_GATEWAY, type IndexedVirtualService } from './virtual-services.js';
export { collectGatewayServers, type GatewayPortMap, type GatewayServer } from './gateway-servers.js';
export { buildSidecarOutboundRoutes, buildSidecarRouteConfig, ALLOW_ANY_VHOST, BLOCK_ALL_VHOST } from './route/sidecar-outbound-routes.js';
export { buildGatewayRoutes } from './route/gateway-routes.js';
export { buildHttpRoutesForVirtualService } from './route/http-routes.js';
export { routeOrigin, type RouteOrigin } from './route/route-metadata.js';
export type { HashPolicyLookup, RouteContext } from './route/route-context.js';
export { buildSidecarOutboundListeners, VIRTUAL_OUTBOUND } from './listener/sidecar-outbound-listeners.js';
export { buildSidecarInboundListener, inboundPorts, VIRTUAL_INBOUND } from './listener/sidecar-inbound-listener.js';
export { buildGatewayListeners } from './listener/gateway-listeners.js';
export { SharedTranslator } from './shared-translation.js';
export { TranslationCache, digest, type TranslationCacheStats } from './translation-cache.js';
export { cachedEndpoints, cachedOutboundClusters } from './cached-clusters.js';
