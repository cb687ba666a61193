/**
 * A RouteConfiguration compiled once into a table that selects the virtual host and route of a
 * request, with Envoy's rules (read in envoyproxy/envoy `source/common/router/config_impl.cc`,
 * `RouteMatcher::findVirtualHost` and the `*RouteEntryImpl::matches`):
 *
 * Virtual host: the authority is ASCII-lower-cased and matched, PORT INCLUDED, against
 * 1. exact domains; 2. suffix wildcards (`*.example.com`, `*-bar.example.com`), longest first;
 * 3. prefix wildcards (`foo.*`), longest first; 4. the single `*` virtual host. A wildcard must
 * match at least one character. There is no second try without the port: `reviews:9080` matches
 * only a domain `reviews:9080` (which is why istiod lists every domain with and without port) or
 * a wildcard, unless the RouteConfiguration sets `ignorePortInHostMatching`, which strips the port
 * (after the last ":" not inside `[...]`) before matching. A request without authority finds no
 * virtual host, except when `*` is the only domain of the configuration. Duplicate domains and a
 * second `*` are config errors, as in Envoy. `requireTls` (ALL, or EXTERNAL_ONLY without
 * `x-envoy-internal: true`) answers a non-https request with a TLS redirect before any route.
 *
 * Route: the first route, in order, whose match passes. Paths are matched without their query and
 * fragment (from the first "?" or "#"; also from the first ";" with
 * `ignorePathParametersInPathMatching`): `prefix` starts-with, `path` equality, `safeRegex` RE2
 * full match, `pathSeparatedPrefix` a prefix ending at "/" or the path end; `caseSensitive`
 * (default true; `{}` is false) makes the first, second and fourth ASCII case-insensitive, never the
 * regex. All of `headers`, `dynamicMetadata` (Envoy's MetadataMatchers over the request's dynamic
 * metadata, e.g. the JWT filter's payload), `queryParameters` (see `header-matcher.ts`), `grpc` (content-type
 * `application/grpc[+…|;…]`) and `runtimeFraction` must also pass. Runtime fractions use
 * `defaultValue` only (Weft has no runtime): pass if floor(random × denominator) < numerator,
 * with `random` in [0, 1) from the request (Math.random() when absent, drawn once per request).
 *
 * Hot path: `select` allocates nothing for routes without regex or query matchers; results are
 * preallocated frozen objects, one per route / virtual host.
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import { fractionHitAt } from './fractional-percent.js';
import {
  compileHeaderMatchers,
  compileQueryParameterMatchers,
  parseQueryParams,
  type RequestAttributes,
} from './header-matcher.js';
import { compileMetadataMatcher, type DynamicMetadata } from './rbac/metadata-matcher.js';
import { prepareRewrites } from './rewrite.js';
import { asciiLower, compileRegexMatcher, startsWithIgnoreCase } from './string-matcher.js';
import type { FractionalPercent, Route, RouteConfiguration, RouteMatch, VirtualHost } from './types.js';
import { weightedClusterPicker } from './weighted-cluster.js';

/** Cluster choice helpers, re-exported: `pickWeightedCluster(action, rand)`, `weightedChoices(action)`. */
export { pickWeightedCluster, weightedChoices, type ClusterChoice } from './weighted-cluster.js';

/** A request as route selection sees it. */
export interface RouteRequest extends RequestAttributes {
  /** Uniform in [0, 1), for runtime fractions; Math.random() when absent. */
  readonly random?: number;
  /** The request's dynamic metadata so far (JWT payloads…), for `match.dynamicMetadata`; none when absent. */
  readonly dynamicMetadata?: DynamicMetadata;
}

const NO_METADATA: DynamicMetadata = Object.freeze({});

/** The outcome of route selection. */
export type RouteSelection =
  | {
      readonly kind: 'route';
      readonly virtualHost: VirtualHost;
      readonly virtualHostIndex: number;
      readonly route: Route;
      readonly routeIndex: number;
    }
  | { readonly kind: 'no-virtual-host' }
  | { readonly kind: 'no-route'; readonly virtualHost: VirtualHost; readonly virtualHostIndex: number }
  /** The virtual host requires TLS and the request is not https: reply with `tlsRedirectReply`. */
  | { readonly kind: 'tls-redirect'; readonly virtualHost: VirtualHost; readonly virtualHostIndex: number };

/** A compiled RouteConfiguration. */
export interface RouteTable {
  readonly config: RouteConfiguration;
  /** Selects the virtual host and route of a request. */
  select(req: RouteRequest): RouteSelection;
  /** The virtual host an authority selects (undefined: none), with its index in the config. */
  findVirtualHost(authority: string | undefined): { readonly virtualHost: VirtualHost; readonly index: number } | undefined;
}

/** Per-request state shared by the route predicates of one `select` call (reused, not allocated). */
interface Scratch {
  req: RouteRequest;
  /** End of the path part matched by path specifiers. */
  end: number;
  noQuery: string | undefined;
  query: Map<string, string> | undefined;
  rand: number;
}

type RoutePredicate = (s: Scratch) => boolean;

interface CompiledVirtualHost {
  readonly vh: VirtualHost;
  readonly index: number;
  readonly requireTls: 0 | 1 | 2; // NONE, EXTERNAL_ONLY, ALL
  readonly routes: readonly { readonly test: RoutePredicate; readonly result: RouteSelection }[];
  readonly noRoute: RouteSelection;
  readonly tlsRedirect: RouteSelection;
}

const NEVER: FractionalPercent = Object.freeze({ numerator: 0 });
const NO_VIRTUAL_HOST: RouteSelection = Object.freeze({ kind: 'no-virtual-host' as const });

function noQuery(s: Scratch): string {
  if (s.noQuery === undefined) s.noQuery = s.req.path.slice(0, s.end);
  return s.noQuery;
}

function pathPredicate(m: RouteMatch, where: string): RoutePredicate {
  const ci = m.caseSensitive !== undefined && m.caseSensitive.value !== true;
  if (m.prefix !== undefined) {
    const p = m.prefix;
    if (p === '') return () => true;
    if (!ci) return (s) => p.length <= s.end && s.req.path.startsWith(p);
    const lp = asciiLower(p);
    return (s) => lp.length <= s.end && startsWithIgnoreCase(s.req.path, lp, 0);
  }
  if (m.path !== undefined) {
    const p = m.path;
    if (!ci) return (s) => s.end === p.length && s.req.path.startsWith(p);
    const lp = asciiLower(p);
    return (s) => s.end === lp.length && startsWithIgnoreCase(s.req.path, lp, 0);
  }
  if (m.safeRegex !== undefined) {
    const re = compileRegexMatcher(m.safeRegex, `${where}.safeRegex`);
    return (s) => re(noQuery(s));
  }
  if (m.pathSeparatedPrefix !== undefined) {
    const p = m.pathSeparatedPrefix;
    const lp = ci ? asciiLower(p) : p;
    return (s) => {
      const path = s.req.path;
      if (s.end < p.length) return false;
      if (!(ci ? startsWithIgnoreCase(path, lp, 0) : path.startsWith(p))) return false;
      return s.end === p.length || path.charCodeAt(p.length) === 47 /* / */;
    };
  }
  if (m.connectMatcher !== undefined) return (s) => s.req.method === 'CONNECT';
  if (m.pathMatchPolicy !== undefined) {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.Unsupported, `${where}.pathMatchPolicy`, 'path match policies (URI templates) are not supported');
  }
  throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidRouteConfig, where, 'one of prefix, path, safeRegex, pathSeparatedPrefix or connectMatcher is required');
}

function isGrpc(req: RouteRequest): boolean {
  const v = req.headers['content-type'];
  const ct = typeof v === 'string' ? v : v?.[0];
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return ct.length === 16 || next === 43 /* + */ || next === 59 /* ; */;
}

function compileRoute(route: Route, where: string): RoutePredicate {
  const m = route.match ?? {};
  const path = pathPredicate(m, `${where}.match`);
  const headers = compileHeaderMatchers(m.headers, `${where}.match.headers`);
  const query = compileQueryParameterMatchers(m.queryParameters, `${where}.match.queryParameters`);
  const grpc = m.grpc !== undefined;
  const metadata = m.dynamicMetadata && m.dynamicMetadata.length > 0
    ? m.dynamicMetadata.map((d, i) => compileMetadataMatcher(d, `${where}.match.dynamicMetadata[${i}]`))
    : undefined;
  // A runtimeFraction without a defaultValue is the proto default, 0 %.
  const fraction = m.runtimeFraction !== undefined ? (m.runtimeFraction.defaultValue ?? NEVER) : undefined;
  // Validate and warm the caches the proxy will use after selection.
  if (route.route?.weightedClusters) weightedClusterPicker(route.route.weightedClusters, `${where}.route.weightedClusters`);
  prepareRewrites(route, where);
  if (!headers && !query && !grpc && !fraction && !metadata) return path;
  return (s) => {
    if (!path(s)) return false;
    if (headers && !headers(s.req)) return false;
    if (metadata) {
      const md = s.req.dynamicMetadata ?? NO_METADATA;
      for (const p of metadata) if (!p(md)) return false;
    }
    if (query) {
      if (s.query === undefined) s.query = parseQueryParams(s.req.path);
      if (!query(s.query)) return false;
    }
    if (grpc && !isGrpc(s.req)) return false;
    if (fraction) {
      if (s.rand < 0) s.rand = s.req.random ?? Math.random();
      if (!fractionHitAt(fraction, false, s.rand)) return false;
    }
    return true;
  };
}

/** Index where the port of an authority starts (its ":"), or -1; IPv6 literals are bracketed. */
export function portStart(authority: string): number {
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return -1;
  const bracket = authority.lastIndexOf(']');
  return bracket < 0 || bracket < colon ? colon : -1;
}

type WildcardTable = { readonly len: number; readonly hosts: Map<string, CompiledVirtualHost> }[];

function addWildcard(table: WildcardTable, key: string, vh: CompiledVirtualHost): boolean {
  let entry = table.find((e) => e.len === key.length);
  if (!entry) {
    entry = { len: key.length, hosts: new Map() };
    table.push(entry);
    table.sort((a, b) => b.len - a.len);
  }
  if (entry.hosts.has(key)) return false;
  entry.hosts.set(key, vh);
  return true;
}

/** Compiles a RouteConfiguration; throws EnvoyConfigError where Envoy would reject it. */
export function compileRouteTable(config: RouteConfiguration): RouteTable {
  const exact = new Map<string, CompiledVirtualHost>();
  const suffixes: WildcardTable = [];
  const prefixes: WildcardTable = [];
  let fallback: CompiledVirtualHost | undefined;
  const ignorePort = config.ignorePortInHostMatching === true;
  const ignoreParams = config.ignorePathParametersInPathMatching === true;

  (config.virtualHosts ?? []).forEach((vh, index) => {
    const where = `virtualHosts[${index}]`;
    const routes = (vh.routes ?? []).map((route, routeIndex) => ({
      test: compileRoute(route, `${where}.routes[${routeIndex}]`),
      result: Object.freeze({ kind: 'route' as const, virtualHost: vh, virtualHostIndex: index, route, routeIndex }),
    }));
    const tls = vh.requireTls === 'ALL' ? 2 : vh.requireTls === 'EXTERNAL_ONLY' ? 1 : 0;
    const compiled: CompiledVirtualHost = {
      vh,
      index,
      requireTls: tls,
      routes,
      noRoute: Object.freeze({ kind: 'no-route' as const, virtualHost: vh, virtualHostIndex: index }),
      tlsRedirect: Object.freeze({ kind: 'tls-redirect' as const, virtualHost: vh, virtualHostIndex: index }),
    };
    for (const raw of vh.domains ?? []) {
      const domain = asciiLower(raw);
      let ok: boolean;
      if (domain === '*') {
        if (fallback) {
          throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidRouteConfig, `${where}.domains`, `only a single wildcard domain is permitted in route ${config.name ?? ''}`);
        }
        fallback = compiled;
        ok = true;
      } else if (domain.startsWith('*')) {
        ok = addWildcard(suffixes, domain.slice(1), compiled);
      } else if (domain.endsWith('*')) {
        ok = addWildcard(prefixes, domain.slice(0, -1), compiled);
      } else {
        ok = !exact.has(domain);
        if (ok) exact.set(domain, compiled);
      }
      if (!ok) {
        throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidRouteConfig, `${where}.domains`, `duplicate domain ${raw} in route ${config.name ?? ''}`);
      }
    }
  });

  const onlyFallback = exact.size === 0 && suffixes.length === 0 && prefixes.length === 0;

  function find(authority: string | undefined): CompiledVirtualHost | undefined {
    if (onlyFallback) return fallback;
    if (authority === undefined) return undefined;
    let host = authority;
    if (ignorePort) {
      const p = portStart(host);
      if (p >= 0) host = host.slice(0, p);
    }
    host = asciiLower(host);
    const hit = exact.get(host);
    if (hit) return hit;
    for (const { len, hosts } of suffixes) {
      if (len >= host.length) continue;
      const vh = hosts.get(host.slice(host.length - len));
      if (vh) return vh;
    }
    for (const { len, hosts } of prefixes) {
      if (len >= host.length) continue;
      const vh = hosts.get(host.slice(0, len));
      if (vh) return vh;
    }
    return fallback;
  }

  const scratch: Scratch = { req: undefined as unknown as RouteRequest, end: 0, noQuery: undefined, query: undefined, rand: -1 };

  function pathMatchEnd(path: string): number {
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c === 63 /* ? */ || c === 35 /* # */ || (ignoreParams && c === 59) /* ; */) return i;
    }
    return path.length;
  }

  return {
    config,
    select(req: RouteRequest): RouteSelection {
      const vh = find(req.authority);
      if (!vh) return NO_VIRTUAL_HOST;
      // Envoy: no scheme (x-forwarded-proto) means no route, checked before the TLS requirement.
      if (req.scheme === '') return vh.noRoute;
      if (vh.requireTls !== 0 && req.scheme !== 'https') {
        if (vh.requireTls === 2) return vh.tlsRedirect;
        const internal = req.headers['x-envoy-internal'];
        if ((typeof internal === 'string' ? internal : internal?.[0]) !== 'true') return vh.tlsRedirect;
      }
      const s = scratch;
      s.req = req;
      s.end = pathMatchEnd(req.path);
      s.noQuery = undefined;
      s.query = undefined;
      s.rand = -1;
      const routes = vh.routes;
      for (let i = 0; i < routes.length; i++) {
        if (routes[i]!.test(s)) {
          s.req = undefined as unknown as RouteRequest;
          return routes[i]!.result;
        }
      }
      s.req = undefined as unknown as RouteRequest;
      return vh.noRoute;
    },
    findVirtualHost(authority: string | undefined) {
      const vh = find(authority);
      return vh ? { virtualHost: vh.vh, index: vh.index } : undefined;
    },
  };
}
