/**
 * Envoy's CORS filter (`envoy.filters.http.cors`), driven by the per-route `CorsPolicy` that istiod
 * emits for a VirtualService `corsPolicy` (typed_per_filter_config keyed by the filter name), with
 * Envoy's semantics (source/extensions/filters/http/cors/cors_filter.cc):
 * - policies are gathered most specific first: the route's, then the virtual host's
 *   typed_per_filter_config; only when neither has one, the deprecated `cors` fields of the route
 *   action and the virtual host. Each setting is taken from the first policy that sets it; whether
 *   the filter is enabled comes from the first policy (`filterEnabled`, absent = enabled;
 *   `shadowEnabled` only counts origins);
 * - a request without `Origin` passes untouched; an origin is allowed when one `allowOriginStringMatch`
 *   matcher matches it (or matches `*`);
 * - a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) from an allowed origin is
 *   answered by the proxy: 200 with `Access-Control-Allow-Origin` (the request's origin),
 *   `-Allow-Credentials: true`, `-Allow-Methods`, `-Allow-Headers` (`*` echoes the request's
 *   `Access-Control-Request-Method`/`-Headers`), `-Max-Age`, and `-Allow-Private-Network` when asked.
 *   A preflight from an origin that is not allowed is forwarded upstream when
 *   `forwardNotMatchingPreflights` is true (the default; Istio's `unmatchedPreflights: FORWARD`),
 *   otherwise answered 200 with the same headers but no `Access-Control-Allow-Origin`
 *   (Istio's `IGNORE`), so the browser refuses it;
 * - any other request from an allowed origin gets `Access-Control-Allow-Origin`,
 *   `-Allow-Credentials` and `-Expose-Headers` added to its response (the upstream's, or the
 *   router's local reply).
 * Per-route policies are compiled once per config object; an invalid one (bad regex) fails when the
 * route configuration is compiled (the push is NACKed), see {@link validateCorsPolicies}.
 */
import type { RouteConfiguration, Route, VirtualHost } from '../../envoy/types.js';
import type { CorsPolicy } from '../../envoy/types/route.js';
import { compileStringMatcher, type StringPredicate } from '../../envoy/string-matcher.js';
import { fractionHit } from '../../envoy/fractional-percent.js';
import { FilterStatus, type FilterCallbacks, type HttpFilter, type ResponseHeaderEncoder } from '../http/filter.js';
import type { MutableHeaders } from '../../envoy/header-ops.js';
import type { StreamInfo } from '../http/stream-info.js';

/** Name of the filter and key of its per-route config. */
export const CORS_FILTER_NAME = 'envoy.filters.http.cors';

/** One compiled `CorsPolicy`. */
export interface CompiledCorsPolicy {
  readonly config: CorsPolicy;
  /** Origin matchers; undefined when the policy lists none (a later policy may). */
  readonly origins: readonly StringPredicate[] | undefined;
}

const compiled = new WeakMap<object, CompiledCorsPolicy | null>();

/** Compiles one policy (throws on an invalid matcher). */
export function compileCorsPolicy(config: CorsPolicy, where: string): CompiledCorsPolicy {
  const list = config.allowOriginStringMatch;
  const origins = list !== undefined && list.length > 0 ? list.map((m, i) => compileStringMatcher(m, `${where}.allowOriginStringMatch[${i}]`)) : undefined;
  return { config, origins };
}

function perFilterPolicy(owner: Route | VirtualHost, where: string): CompiledCorsPolicy | undefined {
  const hit = compiled.get(owner);
  if (hit !== undefined) return hit ?? undefined;
  const cfg = owner.typedPerFilterConfig?.[CORS_FILTER_NAME] as CorsPolicy | undefined;
  const out = cfg !== undefined ? compileCorsPolicy(cfg, `${where}.typedPerFilterConfig[${CORS_FILTER_NAME}]`) : null;
  compiled.set(owner, out);
  return out ?? undefined;
}

const legacy = new WeakMap<CorsPolicy, CompiledCorsPolicy>();
function legacyPolicy(cfg: CorsPolicy | undefined, where: string): CompiledCorsPolicy | undefined {
  if (cfg === undefined) return undefined;
  let out = legacy.get(cfg);
  if (!out) legacy.set(cfg, (out = compileCorsPolicy(cfg, where)));
  return out;
}

const NONE: readonly CompiledCorsPolicy[] = Object.freeze([]);
const lists = new WeakMap<Route, readonly CompiledCorsPolicy[]>();

/**
 * The policies that apply to a route, most specific first (Envoy's order); computed once per route
 * object (a route belongs to one virtual host of its configuration).
 */
export function corsPoliciesOf(route: Route, vh: VirtualHost): readonly CompiledCorsPolicy[] {
  let list = lists.get(route);
  if (list === undefined) lists.set(route, (list = gather(route, vh)));
  return list;
}

function gather(route: Route, vh: VirtualHost): readonly CompiledCorsPolicy[] {
  const out: CompiledCorsPolicy[] = [];
  const r = perFilterPolicy(route, `route ${route.name ?? ''}`);
  if (r) out.push(r);
  const v = perFilterPolicy(vh, `virtual host ${vh.name ?? ''}`);
  if (v) out.push(v);
  if (out.length === 0) {
    const lr = legacyPolicy(route.route?.cors, `route ${route.name ?? ''}.route.cors`);
    if (lr) out.push(lr);
    const lv = legacyPolicy(vh.cors, `virtual host ${vh.name ?? ''}.cors`);
    if (lv) out.push(lv);
  }
  return out.length === 0 ? NONE : out;
}

/** Compiles every CORS policy of a route configuration; throws on the first invalid one. */
export function validateCorsPolicies(rc: RouteConfiguration): void {
  for (const vh of rc.virtualHosts ?? []) for (const r of vh.routes ?? []) corsPoliciesOf(r, vh);
}

/** The effective settings of a policy list (first policy that sets a field wins). */
export interface EffectiveCors {
  readonly enabled: boolean;
  readonly shadow: boolean;
  readonly origins: readonly StringPredicate[];
  readonly forwardNotMatchingPreflights: boolean;
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean;
  readonly allowPrivateNetworkAccess: boolean;
}

function first<T>(ps: readonly CompiledCorsPolicy[], get: (p: CompiledCorsPolicy) => T | undefined, dflt: T): T {
  for (const p of ps) {
    const v = get(p);
    if (v !== undefined) return v;
  }
  return dflt;
}
const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/** Resolves a policy list into the settings Envoy uses (random: the filterEnabled coin). */
export function effectiveCors(ps: readonly CompiledCorsPolicy[], random: () => number = Math.random): EffectiveCors {
  const head = ps[0]?.config;
  return {
    enabled: head !== undefined && fractionHit(head.filterEnabled?.defaultValue, true, random),
    shadow: head?.shadowEnabled !== undefined && fractionHit(head.shadowEnabled.defaultValue, true, random),
    origins: first(ps, (p) => p.origins, []),
    forwardNotMatchingPreflights: first(ps, (p) => p.config.forwardNotMatchingPreflights?.value, true),
    allowMethods: first(ps, (p) => nonEmpty(p.config.allowMethods), ''),
    allowHeaders: first(ps, (p) => nonEmpty(p.config.allowHeaders), ''),
    exposeHeaders: first(ps, (p) => nonEmpty(p.config.exposeHeaders), ''),
    maxAge: first(ps, (p) => nonEmpty(p.config.maxAge), ''),
    allowCredentials: first(ps, (p) => p.config.allowCredentials?.value, false),
    allowPrivateNetworkAccess: first(ps, (p) => p.config.allowPrivateNetworkAccess?.value, false),
  };
}

/** True when an origin matcher matches `*` or the origin (Envoy's isOriginAllowed). */
export function originAllowed(origins: readonly StringPredicate[], origin: string): boolean {
  for (const m of origins) if (m('*') || m(origin)) return true;
  return false;
}

function header(s: StreamInfo, name: string): string {
  const v = s.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : '';
}

/** What a preflight is answered with (status 200; headers). */
export function preflightHeaders(cors: EffectiveCors, origin: string | undefined, requestMethod: string, requestHeaders: string, privateNetwork: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (origin !== undefined) h['access-control-allow-origin'] = origin;
  if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
  if (cors.allowMethods !== '') h['access-control-allow-methods'] = cors.allowMethods === '*' ? requestMethod : cors.allowMethods;
  if (cors.allowHeaders !== '') h['access-control-allow-headers'] = cors.allowHeaders === '*' ? requestHeaders : cors.allowHeaders;
  if (cors.maxAge !== '') h['access-control-max-age'] = cors.maxAge;
  if (cors.allowPrivateNetworkAccess && privateNetwork === 'true') h['access-control-allow-private-network'] = 'true';
  return h;
}

/** The response half for one CORS request from an allowed origin. */
class CorsEncoder implements ResponseHeaderEncoder {
  constructor(readonly filterIndex: number, private readonly origin: string, private readonly cors: EffectiveCors) {}

  encodeHeaders(headers: MutableHeaders): void {
    headers['access-control-allow-origin'] = this.origin;
    if (this.cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (this.cors.exposeHeaders !== '') headers['access-control-expose-headers'] = this.cors.exposeHeaders;
  }
}

/** The CORS filter; stateless, shared by all requests (per-request state lives in its encoder). */
export class CorsFilter implements HttpFilter {
  readonly name = CORS_FILTER_NAME;

  constructor(private readonly random: () => number = Math.random) {}

  decodeHeaders(s: StreamInfo, cb: FilterCallbacks): FilterStatus {
    const sel = s.selectRoute();
    if (sel.kind !== 'route' || sel.route.route === undefined && sel.route.redirect === undefined && sel.route.directResponse === undefined) return FilterStatus.Continue;
    const policies = corsPoliciesOf(sel.route, sel.virtualHost);
    if (policies.length === 0) return FilterStatus.Continue;
    const cors = effectiveCors(policies, this.random);
    if (!cors.enabled && !cors.shadow) return FilterStatus.Continue;
    const origin = header(s, 'origin');
    if (origin === '') return FilterStatus.Continue;
    const allowed = originAllowed(cors.origins, origin);
    if (!cors.enabled) return FilterStatus.Continue;
    if (allowed) cb.addEncoder(new CorsEncoder(cb.filterIndex, origin, cors));
    if (s.method !== 'OPTIONS') return FilterStatus.Continue;
    const requestMethod = header(s, 'access-control-request-method');
    if (requestMethod === '') return FilterStatus.Continue;
    if (!allowed && cors.forwardNotMatchingPreflights) return FilterStatus.Continue;
    const h = preflightHeaders(cors, allowed ? origin : undefined, requestMethod, header(s, 'access-control-request-headers'), header(s, 'access-control-request-private-network'));
    // Envoy answers the preflight itself (details `cors_response`): 200, no body.
    cb.sendDirectReply(200, undefined, undefined, h, 'cors_response');
    return FilterStatus.Stop;
  }
}
