/**
 * The error code of an upstream connection destroyed because connecting took longer than the
 * cluster's `connect_timeout` (Envoy counts it in `upstream_cx_connect_fail` and the request fails
 * with response flag UF, reset reason `connection_failure`). Its own file so the pools, the TCP
 * proxy and the router can all name it without importing one another.
 */

/** Error code given to a socket destroyed because connecting took longer than the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'WEFT_CONNECT_TIMEOUT';
