/**
 * The one error type of `src/envoy`: raised while compiling xDS resources into matchers, route
 * tables and rewriters (never per request). The proxy turns it into a NACK carrying `code` and
 * `message`; `where` names the field (`virtualHosts[0].routes[2].match.safeRegex`).
 */
import { WeftError } from '../util/weft-error.js';

/** Stable codes of Envoy-config compilation failures. */
export const EnvoyConfigErrorCode = {
  /** A `safeRegex` / `regexRewrite` pattern is not valid RE2. */
  InvalidRegex: 'ENVOY_INVALID_REGEX',
  /** A regex substitution uses `\N` wrongly (no such group, stray backslash). */
  InvalidSubstitution: 'ENVOY_INVALID_SUBSTITUTION',
  /** A matcher sets none (or an unsupported kind) of its specifiers. */
  InvalidMatcher: 'ENVOY_INVALID_MATCHER',
  /** A route configuration Envoy would reject (duplicate domains, two `*` virtual hosts, …). */
  InvalidRouteConfig: 'ENVOY_INVALID_ROUTE_CONFIG',
  /** A weighted cluster list whose weights sum to 0 or overflow uint32. */
  InvalidWeightedClusters: 'ENVOY_INVALID_WEIGHTED_CLUSTERS',
  /** An IP address or CIDR range that does not parse. */
  InvalidCidr: 'ENVOY_INVALID_CIDR',
  /** Filter chains Envoy would reject (overlapping matches, partial SNI wildcards, …). */
  InvalidFilterChains: 'ENVOY_INVALID_FILTER_CHAINS',
  /** A feature Weft does not implement (extension matchers, URI templates, …). */
  Unsupported: 'ENVOY_UNSUPPORTED',
} as const;

/** One of {@link EnvoyConfigErrorCode}'s values. */
export type EnvoyConfigErrorCode = (typeof EnvoyConfigErrorCode)[keyof typeof EnvoyConfigErrorCode];

/** Error raised when an Envoy resource cannot be compiled; `where` is the offending field path. */
export class EnvoyConfigError extends WeftError {
  readonly code: EnvoyConfigErrorCode;
  readonly where: string;
  constructor(code: EnvoyConfigErrorCode, where: string, message: string, options?: { cause?: unknown }) {
    super(where ? `${where}: ${message}` : message, options);
    this.name = 'EnvoyConfigError';
    this.code = code;
    this.where = where;
  }
}
