/**
 * A mesh config extension provider `envoyExtAuthzHttp` as Envoy's `ext_authz` HTTP filter, as istiod
 * builds it for CUSTOM AuthorizationPolicies: the check goes to the cluster
 * `outbound|<port>||<service>` with `pathPrefix` prepended, within `timeout` (default 600 s);
 * `includeRequestHeadersInCheck` → `allowedHeaders` (case-insensitive, globs), 
 * `headersToUpstreamOnAllow` / `headersToDownstreamOnDeny` → the response header lists;
 * `failOpen` → `failureModeAllow`; `statusOnError` (default 403) for unreachable servers; and the
 * filter only runs for requests the CUSTOM policies' rules matched, which the preceding RBAC filter
 * marks in dynamic metadata (`istio_ext_authz_shadow_effective_policy_id` starting with
 * `istio-ext-authz`).
 */
import { parseDuration } from '../../config/duration.js';
import { toProtoDuration } from '../../envoy/duration.js';
import type { ExtAuthz, ListStringMatcher } from '../../envoy/ext-authz/types.js';
import { RBAC_FILTER, SHADOW_EFFECTIVE_POLICY_ID } from '../../envoy/rbac/types.js';
import type { ExtensionProvider } from '../../config/mesh-config.js';
import { envoyRoot } from '../../xds/protos.js';
import { globMatcher } from './istio-values.js';
import { WeftError } from '../../util/weft-error.js';

/** Stat prefix of the CUSTOM shadow rules (istiod's). */
export const EXT_AUTHZ_SHADOW_PREFIX = 'istio_ext_authz_';
/** Prefix of CUSTOM policy names (istiod's). */
export const EXT_AUTHZ_POLICY_PREFIX = 'istio-ext-authz';
/** Istio's default check timeout. */
const DEFAULT_TIMEOUT_MS = 600_000;

/** Stable code of a provider that cannot be used. */
export const PROVIDER_ERROR_CODE = 'AUTHZ_PROVIDER_INVALID';

/** A CUSTOM provider that is missing or unusable (the workload then denies every request, fail closed). */
export class ProviderError extends WeftError {
  readonly code = PROVIDER_ERROR_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

function headerList(names: readonly string[] | undefined): ListStringMatcher | undefined {
  if (!names?.length) return undefined;
  return { patterns: names.map((n) => globMatcher(n.toLowerCase(), true)) };
}

/** The name of an HTTP status code in `envoy.type.v3.StatusCode` (what the proto's enum accepts). */
export function statusCodeName(code: number): string {
  const e = envoyRoot().lookupEnum('envoy.type.v3.StatusCode');
  const name = e.valuesById[code];
  if (name === undefined) throw new ProviderError(`statusOnError ${code} is not an HTTP status Envoy knows`);
  return name;
}

/** Builds the ext_authz config for the named provider; throws {@link ProviderError}. */
export function extAuthzConfig(providers: readonly ExtensionProvider[], name: string, resolveHost: (host: string) => string): ExtAuthz {
  const p = providers.find((x) => x.name === name);
  if (!p) throw new ProviderError(`extension provider ${name} is not defined in mesh config`);
  const http = p.envoyExtAuthzHttp;
  if (!http) throw new ProviderError(`extension provider ${name} is not an envoyExtAuthzHttp provider`);
  if (!http.service || !(http.port > 0 && http.port < 65536)) throw new ProviderError(`extension provider ${name} needs a service and a port`);
  const host = resolveHost(http.service);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (http.timeout !== undefined) {
    const d = parseDuration(http.timeout);
    if (d === undefined) throw new ProviderError(`extension provider ${name}: invalid timeout ${http.timeout}`);
    timeoutMs = d;
  }
  let status = 403;
  if (http.statusOnError !== undefined) {
    status = Number(http.statusOnError);
    if (!Number.isInteger(status)) throw new ProviderError(`extension provider ${name}: invalid statusOnError ${http.statusOnError}`);
  }
  const allowedUpstream = headerList(http.headersToUpstreamOnAllow);
  const allowedClient = headerList(http.headersToDownstreamOnDeny);
  const allowed = headerList(http.includeRequestHeadersInCheck);
  return {
    httpService: {
      serverUri: { uri: `http://${host}`, cluster: `outbound|${http.port}||${host}`, timeout: toProtoDuration(timeoutMs) },
      ...(http.pathPrefix ? { pathPrefix: http.pathPrefix } : {}),
      ...(allowedUpstream || allowedClient
        ? { authorizationResponse: { ...(allowedUpstream ? { allowedUpstreamHeaders: allowedUpstream } : {}), ...(allowedClient ? { allowedClientHeaders: allowedClient } : {}) } }
        : {}),
    },
    transportApiVersion: 'V3',
    ...(http.failOpen ? { failureModeAllow: true } : {}),
    statusOnError: { code: statusCodeName(status) },
    filterEnabledMetadata: {
      filter: RBAC_FILTER,
      path: [{ key: `${EXT_AUTHZ_SHADOW_PREFIX}${SHADOW_EFFECTIVE_POLICY_ID}` }],
      value: { stringMatch: { prefix: EXT_AUTHZ_POLICY_PREFIX } },
    },
    ...(allowed ? { allowedHeaders: allowed } : {}),
  };
}
