/**
 * What one HTTP connection manager config asks of the security layer, compiled once per push:
 * its path handling (`normalizePath`, `mergeSlashes`, `pathWithEscapedSlashesAction`), whether it
 * is an edge (`useRemoteAddress`: sanitize headers from outside the mesh), and its security HTTP
 * filters in config order (`envoy.filters.http.jwt_authn`, `envoy.filters.http.ext_authz`,
 * `envoy.filters.http.rbac`); the chain that runs them is built from `httpFilters` by
 * http-filter-registry.ts.
 * An invalid filter config throws (the push is NACKed).
 */
import type { ExtAuthz } from '../../envoy/ext-authz/types.js';
import { EXT_AUTHZ_FILTER } from '../../envoy/ext-authz/types.js';
import { JWT_AUTHN_FILTER, type JwtAuthentication } from '../../envoy/jwt/types.js';
import { isNoop, pathNormalizationOf, type PathNormalizationOptions } from '../../envoy/path-normalization.js';
import { RBAC_FILTER, type RbacFilterConfig } from '../../envoy/rbac/types.js';
import type { HttpConnectionManager } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { ExtAuthzFilter } from './ext-authz-filter.js';
import { JwtAuthnFilter } from './jwt-authn-filter.js';
import { RbacFilter } from './rbac-filter.js';
import type { SecurityFilter } from './security-filter.js';

/** The compiled security settings of one HCM. */
export interface HcmSecurity {
  /** Path handling; undefined when it changes nothing. */
  readonly path: PathNormalizationOptions | undefined;
  /** True at an edge (gateway HCMs with `useRemoteAddress`). */
  readonly edge: boolean;
  readonly filters: readonly SecurityFilter[];
}

const cache = new WeakMap<HttpConnectionManager, HcmSecurity>();

/** Compiles (once per config object) the security settings of an HCM. */
export function compileHcmSecurity(config: HttpConnectionManager, where: string): HcmSecurity {
  let out = cache.get(config);
  if (out) return out;
  const filters: SecurityFilter[] = [];
  (config.httpFilters ?? []).forEach((f, i) => {
    if (f.disabled) return;
    const type = f.typedConfig?.['@type'];
    const w = `${where}.httpFilters[${i}]`;
    const body = (f.typedConfig ?? {}) as Record<string, unknown>;
    if (f.name === RBAC_FILTER || type === TypeUrl.Rbac) filters.push(securityFilterOf('rbac', body, w));
    else if (f.name === JWT_AUTHN_FILTER || type === TypeUrl.JwtAuthn) filters.push(securityFilterOf('jwt_authn', body, w));
    else if (f.name === EXT_AUTHZ_FILTER || type === TypeUrl.ExtAuthz) filters.push(securityFilterOf('ext_authz', body, w));
  });
  const path = pathNormalizationOf(config);
  out = { path: isNoop(path) ? undefined : path, edge: config.useRemoteAddress?.value === true, filters };
  cache.set(config, out);
  return out;
}

const filterCache = new WeakMap<object, SecurityFilter>();

/**
 * The compiled security filter for one filter config object (compiled once, so the chain built
 * from `httpFilters` (http-filter-registry.ts) and this module share one instance and its JWKS cache).
 */
export function securityFilterOf(kind: 'rbac' | 'jwt_authn' | 'ext_authz', body: Readonly<Record<string, unknown>>, where: string): SecurityFilter {
  let f = filterCache.get(body);
  if (f) return f;
  if (kind === 'rbac') f = new RbacFilter(body as RbacFilterConfig, where);
  else if (kind === 'jwt_authn') f = new JwtAuthnFilter(body as JwtAuthentication, where);
  else f = new ExtAuthzFilter(body as ExtAuthz, where);
  filterCache.set(body, f);
  return f;
}
