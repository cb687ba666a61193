/**
 * Converts Istio's CorsPolicy into the per-route config of Envoy's CORS filter
 * (`envoy.filters.http.cors` CorsPolicy), as istiod's TranslateCORSPolicy: origins as string
 * matchers, lists joined with commas, max age in seconds, enabled at 100 %, and non-matching
 * preflights forwarded unless `unmatchedPreflights: IGNORE`.
 */
import { parseDuration } from '../../config/duration.js';
import type { CorsPolicy as IstioCorsPolicy } from '../../config/schema/virtual-service.js';
import type { StringMatcher } from '../../envoy/types/core.js';
import type { CorsPolicy } from '../../envoy/types/route.js';
import { convertStringMatch } from './route-match.js';

/** Converts a CORS policy. */
export function convertCorsPolicy(cors: IstioCorsPolicy): CorsPolicy {
  const origins: StringMatcher[] = [];
  for (const o of cors.allowOrigins ?? []) {
    const m = convertStringMatch(o);
    if (m) origins.push(m);
  }
  // istiod uses the deprecated `allowOrigin` (exact strings) only when `allowOrigins` is unset.
  if (cors.allowOrigins === undefined) for (const exact of cors.allowOrigin ?? []) origins.push({ exact });
  const maxAgeMs = cors.maxAge !== undefined ? parseDuration(cors.maxAge) : undefined;
  return {
    forwardNotMatchingPreflights: { value: cors.unmatchedPreflights !== 'IGNORE' },
    ...(origins.length > 0 ? { allowOriginStringMatch: origins } : {}),
    filterEnabled: { defaultValue: { numerator: 100 } },
    ...(cors.allowCredentials !== undefined ? { allowCredentials: { value: cors.allowCredentials } } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: cors.allowHeaders.join(',') } : {}),
    ...(cors.allowMethods?.length ? { allowMethods: cors.allowMethods.join(',') } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: cors.exposeHeaders.join(',') } : {}),
    ...(maxAgeMs !== undefined ? { maxAge: String(Math.floor(maxAgeMs / 1000)) } : {}),
  };
}
