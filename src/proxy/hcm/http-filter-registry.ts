/**
 * The proxy's HTTP filter factories, and the per-connection-manager filter chain assembled from an
 * HCM's `httpFilters`, as Envoy's filter factory registry does it
 * (source/common/filter/config_discovery_impl.cc, source/common/config/utility.h
 * `getAndCheckFactory`; http_connection_manager config.cc `processFilter`):
 * - a filter is looked up by the type URL of its `typedConfig` (the inner `type_url` of a
 *   `TypedStruct`), or by its `name` when it has no typed config;
 * - an unknown filter is skipped when `isOptional`, otherwise the whole config is rejected (the push
 *   is NACKed with the filter's name and type);
 * - `disabled` filters are validated but not run (Weft has no per-route re-enabling);
 * - the router is terminal: it must be the last filter, and the last filter must be terminal;
 *   an HCM with no `httpFilters` gets the router alone (Envoy's default).
 * Before the configured filters the chain runs Weft's stages for what Envoy's connection manager
 * itself does before any filter: request-id/XFF headers, the tracing decision, the request-head
 * checks, edge sanitization and path normalization (src/proxy/filters/security-filters-filter.ts).
 * Chains are compiled once per HCM config object.
 */
import type { HttpConnectionManager, HttpFilter as HttpFilterConfig } from '../../envoy/types.js';
import type { HttpFault } from '../../envoy/types/route.js';
import { EXT_AUTHZ_FILTER, type ExtAuthz } from '../../envoy/ext-authz/types.js';
import { JWT_AUTHN_FILTER } from '../../envoy/jwt/types.js';
import { RBAC_FILTER } from '../../envoy/rbac/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { ISTIO_STATS_FILTER, ISTIO_STATS_TYPE_URL } from '../../envoy/types.js';
import { FilterStatus } from '../http/filter.js';
import { FAULT_FILTER_NAME } from '../../envoy/fault-policy.js';
import { FaultFilter } from '../filters/fault-filter.js';
import type { HttpFilter } from '../http/filter.js';
import { RequestHeadersFilter } from '../filters/request-headers-filter.js';
import { RouterFilter } from './router.js';
import { TracingFilter } from '../tracing/tracing-filter.js';
import { CORS_FILTER_NAME, CorsFilter } from '../filters/cors-filter.js';
import { securityFilterOf } from '../filters/hcm-security.js';
import { SecurityFilterStage, SecurityFiltersFilter } from '../filters/security-filters-filter.js';
import { WeftError } from '../../util/weft-error.js';

/** Stable code of a filter chain that cannot be built (the NACK's error detail starts with it). */
export const HTTP_FILTER_CHAIN_ERROR = 'PROXY_INVALID_HTTP_FILTERS';

/** An `httpFilters` list the proxy cannot run. */
export class HttpFilterChainError extends WeftError {
  readonly code = HTTP_FILTER_CHAIN_ERROR;
  constructor(message: string) {
    super(`${HTTP_FILTER_CHAIN_ERROR}: ${message}`);
    this.name = 'HttpFilterChainError';
  }
}

/** Builds one filter from its typed config (without `@type`); throws on a config it cannot run. */
export type HttpFilterFactory = (config: Readonly<Record<string, unknown>>, where: string) => HttpFilter;

/** One registered filter kind. */
export interface HttpFilterRegistration {
  /** Envoy's canonical filter name. */
  readonly name: string;
  /** Type URL of its typed config. */
  readonly typeUrl: string;
  /** Terminal filters (the router) must end the chain. */
  readonly terminal: boolean;
  readonly create: HttpFilterFactory;
}

const TYPED_STRUCT = new Set(['type.googleapis.com/udpa.type.v1.TypedStruct', 'type.googleapis.com/xds.type.v3.TypedStruct']);

/** The `istio.stats` filter's place in the chain: it records at the end of the request, nothing to do on the way in. */
const STATS_FILTER: HttpFilter = Object.freeze({ name: 'istio.stats', decodeHeaders: () => FilterStatus.Continue });

let shared: { router: RouterFilter; fault: FaultFilter; cors: CorsFilter; pre: readonly HttpFilter[] } | undefined;
/** Stateless filters shared by every chain (created on first use). */
function sharedFilters(): NonNullable<typeof shared> {
  return (shared ??= {
    router: new RouterFilter(),
    fault: new FaultFilter(),
    cors: new CorsFilter(),
    pre: [new RequestHeadersFilter(), new TracingFilter(), new SecurityFiltersFilter(false)],
  });
}

/**
 * The filter kinds this proxy implements. Built on first use: the filter modules and the snapshot
 * compiler import each other (through the connection manager), so nothing here may run at load time.
 */
export function httpFilterRegistry(): readonly HttpFilterRegistration[] {
  return (registry ??= [
    { name: 'envoy.filters.http.router', typeUrl: TypeUrl.Router, terminal: true, create: () => sharedFilters().router },
    {
      name: FAULT_FILTER_NAME, typeUrl: TypeUrl.Fault, terminal: false,
      create: (cfg, where) => {
        const f = cfg as HttpFault;
        // Weft's fault filter reads per-route configs only (istiod emits an empty filter-level config).
        if (f.delay !== undefined || f.abort !== undefined || f.headers !== undefined || f.upstreamCluster !== undefined) {
          throw new HttpFilterChainError(`${where}: a filter-level fault config (delay/abort/headers/upstreamCluster) is not supported; use per-route typedPerFilterConfig`);
        }
        return sharedFilters().fault;
      },
    },
    { name: CORS_FILTER_NAME, typeUrl: TypeUrl.Cors, terminal: false, create: () => sharedFilters().cors },
    // Istio's stats filter: its config (Telemetry metrics) is applied where the connection manager records Istio's metrics (stats/metrics-policy.ts).
    { name: ISTIO_STATS_FILTER, typeUrl: ISTIO_STATS_TYPE_URL, terminal: false, create: () => STATS_FILTER },
    { name: JWT_AUTHN_FILTER, typeUrl: TypeUrl.JwtAuthn, terminal: false, create: (cfg, w) => new SecurityFilterStage(securityFilterOf('jwt_authn', cfg, w)) },
    {
      name: EXT_AUTHZ_FILTER, typeUrl: TypeUrl.ExtAuthz, terminal: false,
      create: (cfg, w) => {
        // Weft's ext_authz client speaks HTTP only (Istio's envoyExtAuthzHttp): a config without
        // `httpService.serverUri.cluster` (a gRPC service, or none) would fail every request, so it is refused at push time.
        const svc = (cfg as ExtAuthz).httpService;
        if (svc?.serverUri?.cluster === undefined || svc.serverUri.cluster === '') {
          throw new HttpFilterChainError(`${w}: ext_authz needs httpService.serverUri.cluster (this proxy has no gRPC authorization client)`);
        }
        return new SecurityFilterStage(securityFilterOf('ext_authz', cfg, w));
      },
    },
    { name: RBAC_FILTER, typeUrl: TypeUrl.Rbac, terminal: false, create: (cfg, w) => new SecurityFilterStage(securityFilterOf('rbac', cfg, w)) },
  ]);
}
let registry: readonly HttpFilterRegistration[] | undefined;
let byType: Map<string, HttpFilterRegistration> | undefined;
let byName: Map<string, HttpFilterRegistration> | undefined;

/** The type URL of a filter's typed config (unwrapping a TypedStruct), or undefined. */
function typeUrlOf(f: HttpFilterConfig): string | undefined {
  const tc = f.typedConfig as Readonly<Record<string, unknown>> | undefined;
  if (tc === undefined) return undefined;
  // protobufjs renders an Any of a type it does not know as { typeUrl, value }.
  const t = (tc['@type'] ?? tc['typeUrl'] ?? tc['type_url']) as string | undefined;
  if (t !== undefined && TYPED_STRUCT.has(t)) return (tc['typeUrl'] ?? tc['type_url']) as string | undefined;
  return t;
}

/** The registration for one configured filter (undefined: unknown to this proxy). */
export function lookupHttpFilter(f: HttpFilterConfig): HttpFilterRegistration | undefined {
  byType ??= new Map(httpFilterRegistry().map((r) => [r.typeUrl, r]));
  byName ??= new Map(httpFilterRegistry().map((r) => [r.name, r]));
  const t = typeUrlOf(f);
  if (t !== undefined) return byType.get(t);
  return f.name !== undefined ? byName.get(f.name) : undefined;
}

function bodyOf(f: HttpFilterConfig): Readonly<Record<string, unknown>> {
  const tc = f.typedConfig as Readonly<Record<string, unknown>> | undefined;
  if (tc === undefined) return {};
  const t = tc['@type'];
  if (typeof t === 'string' && TYPED_STRUCT.has(t)) return (tc['value'] as Record<string, unknown> | undefined) ?? {};
  return tc;
}

const cache = new WeakMap<HttpConnectionManager, readonly HttpFilter[]>();

/**
 * The filter chain of one HCM: Weft's connection-manager stages, then the configured filters in
 * config order. Throws {@link HttpFilterChainError} (or a filter's own config error) when the list
 * cannot run.
 */
export function compileHttpFilterChain(config: HttpConnectionManager, where: string): readonly HttpFilter[] {
  let out = cache.get(config);
  if (out) return out;
  const sh = sharedFilters();
  const list = config.httpFilters ?? [];
  const chain: HttpFilter[] = [...sh.pre];
  if (list.length === 0) chain.push(sh.router);
  let lastEnabled: { reg: HttpFilterRegistration; label: string } | undefined;
  list.forEach((f, i) => {
    const w = `${where}.httpFilters[${i}]`;
    const reg = lookupHttpFilter(f);
    const label = `${f.name ?? '(unnamed)'}${typeUrlOf(f) !== undefined ? ` (${typeUrlOf(f)})` : ''}`;
    if (reg === undefined) {
      if (f.isOptional === true) return;
      // Envoy's wording (source/common/config/utility.h getAndCheckFactory), then why it is fatal.
      throw new HttpFilterChainError(`${w}: unknown HTTP filter ${label}: Didn't find a registered implementation for '${f.name ?? ''}' with type URL: '${typeUrlOf(f) ?? ''}'; it is not marked isOptional`);
    }
    if (lastEnabled?.reg.terminal) {
      throw new HttpFilterChainError(`${w}: terminal filter ${lastEnabled.label} must be the last filter in the HTTP filter chain`);
    }
    const filter = reg.create(bodyOf(f), w);
    if (f.disabled === true) return;
    chain.push(filter);
    lastEnabled = { reg, label };
  });
  if (list.length > 0 && !lastEnabled?.reg.terminal) {
    throw new HttpFilterChainError(`${where}.httpFilters: ${lastEnabled ? `non-terminal filter ${lastEnabled.label} is` : 'no enabled filter is'} the last filter in the HTTP filter chain (the router must end it)`);
  }
  out = Object.freeze(chain);
  cache.set(config, out);
  return out;
}

/** The chain of an HCM with no `httpFilters` (connection-manager stages, then the router). */
export function defaultHttpFilterChain(): readonly HttpFilter[] {
  return compileHttpFilterChain((emptyHcm ??= Object.freeze({})), 'default');
}
let emptyHcm: HttpConnectionManager | undefined;
