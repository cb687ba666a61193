/**
 * Former home of `UpstreamAgent` (a node:http Agent subclass), now {@link HostConnections}
 * (host-connections.ts: the connections of one upstream host, no http.Agent). These re-exports keep
 * the importers of the old names (router, admission, TCP proxy) building while they move over;
 * delete this file once nothing imports it.
 */
export { CONNECT_TIMEOUT_CODE } from './connect-timeout.js';
export { HostConnections as UpstreamAgent, type HostConnectionsOptions as UpstreamAgentOptions, type UpstreamHeaders } from './host-connections.js';
