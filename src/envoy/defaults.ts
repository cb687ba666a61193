/**
 * Envoy's defaults for the fields Weft reads when the config leaves them unset, in one place, so the
 * proxy, the simulator and `weft explain` apply the same ones. Each cites the proto field whose
 * documented default it is.
 */

/**
 * `RouteAction.timeout` when unset: 15 s (envoy/config/route/v3/route_components.proto: "If not
 * specified, the default is 15s"). 0 disables it.
 */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

/**
 * `ConfigSource.initial_fetch_timeout` when unset: 15 s (envoy/config/core/v3/config_source.proto);
 * 0 waits forever.
 */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

/** `Cluster.connect_timeout` when unset: 5 s (envoy/config/cluster/v3/cluster.proto). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * `HttpProtocolOptions.idle_timeout` of upstream connections when unset: 1 hour
 * (envoy/config/core/v3/protocol.proto).
 */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;

/** `TcpProxy.idle_timeout` when unset: 1 hour (envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto). */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 3_600_000;

/**
 * `RetryPolicy.RetryBackOff.base_interval` when unset: 25 ms; `max_interval` defaults to 10 × the
 * base (envoy/config/route/v3/route_components.proto, "x-envoy-max-retries" router docs).
 */
export const DEFAULT_RETRY_BASE_INTERVAL_MS = 25;

/** `RetryPolicy.num_retries` when unset: 1 (envoy/config/route/v3/route_components.proto). */
export const DEFAULT_NUM_RETRIES = 1;

/** `GrpcService.timeout` / `HttpService.server_uri.timeout` of ext_authz when unset: 200 ms (envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto). */
export const DEFAULT_EXT_AUTHZ_TIMEOUT_MS = 200;

/**
 * `HttpConnectionManager.stream_idle_timeout` when unset: 5 minutes
 * (envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto).
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;

/**
 * The downstream connection idle timeout (`common_http_protocol_options.idle_timeout` of the HTTP
 * connection manager) when unset: 1 hour (envoy/config/core/v3/protocol.proto).
 */
export const DEFAULT_DOWNSTREAM_IDLE_TIMEOUT_MS = 3_600_000;
