/**
 * What one HTTP connection manager config asks of the security layer, compiled once per push:
 * its path handling (`normalizePath`, `mergeSlashes`, `pathWithEscapedSlashesAction`), whether it
 * is an edge (`useRemoteAddress`: sanitize headers from outside the mesh), and its security HTTP
 * filters in config order (`envoy.filters.http.jwt_authn`, `envoy.filters.http.ext_authz`,
 * `envoy.filters.http.rbac`); other HTTP filters (fault, CORS, router) are the proxy's fixed chain.
 * An invalid filter config throws (the push is NACKed).
 */
import type { ExtAuthz } from '../../envoy/ext-authz/types.js';
import { EXT_AUTHZ_FILTER } from '../../envoy/ext-authz/types.js';
import { JWT_AUTHN_FILTER, type JwtAuthentication } from '../../envoy/jwt/types.js';
import { isNoop, pathNormalizationOf, type PathNormalizationOptions } from '../../envoy/path-normalization.js';
import { RBAC_FILTER, type RbacFilterConfig } from '../../envoy/rbac/types.js';
import type { HttpConnectionManager } from '../../envoy/types.js';
import { TypeUrl } from '../../xds/protos.js';
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
    if (f.name === RBAC_FILTER || type === TypeUrl.Rbac) filters.push(new RbacFilter(body as RbacFilterConfig, w));
    else if (f.name === JWT_AUTHN_FILTER || type === TypeUrl.JwtAuthn) filters.push(new JwtAuthnFilter(body as JwtAuthentication, w));
    else if (f.name === EXT_AUTHZ_FILTER || type === TypeUrl.ExtAuthz) filters.push(new ExtAuthzFilter(body as ExtAuthz, w));
  });
  const path = pathNormalizationOf(config);
  out = { path: isNoop(path) ? undefined : path, edge: config.useRemoteAddress?.value === true, filters };
  cache.set(config, out);
  return out;
}
