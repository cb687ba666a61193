/**
 * Request rewrites and locally generated redirects of a selected route, with Envoy's semantics
 * (read in envoyproxy/envoy: `RouteEntryImplBase::currentUrlPathAfterRewriteWithMatchedPath`,
 * `finalizeHostHeader`, `Http::Utility::newUri`, `createSslRedirectPath`):
 *
 * - `prefixRewrite` replaces the matched part of the path and keeps the rest, query included. The
 *   matched part is the configured `prefix` / `path` / `pathSeparatedPrefix` (its length, so a
 *   case-insensitive match is replaced too), or the whole path without query for `safeRegex`
 *   routes. An empty `prefixRewrite` means no rewrite.
 * - `regexRewrite` is RE2 GlobalReplace over the path without its query/fragment, which is then
 *   re-appended; `\0`…`\9` in the substitution are groups, `\\` a backslash. A substitution naming a
 *   group the pattern lacks replaces nothing (as RE2 does); a malformed escape is a config error.
 * - host: `hostRewriteLiteral`, else the first value of `hostRewriteHeader` (if non-empty), else
 *   `hostRewritePathRegex` over the path; `autoHostRewrite` uses the chosen upstream host's name.
 * - redirects: scheme = `schemeRedirect` | `https` if `httpsRedirect` | the request's; host =
 *   `hostRedirect`, else the request authority whose port is dropped when `portRedirect` is set or
 *   when the scheme changes and the port is the old scheme's default (:80 for http, :443 for https);
 *   then `:portRedirect`; path = `pathRedirect` (keeping the request query unless it has its own),
 *   else the request path after the route's redirect prefix/regex rewrite; a leading "/" is
 *   ensured; `stripQuery` drops the query unless `pathRedirect` brought one. Default status 301.
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import type { RequestAttributes } from './header-matcher.js';
import { compileRe2 } from './string-matcher.js';
import type { RedirectAction, RedirectResponseCode, RegexMatchAndSubstitute, Route, RouteAction, RouteMatch } from './types.js';

/** A compiled string-to-string rewrite. */
export type Rewriter = (input: string) => string;

/** Index of the first "?" or "#" in a path (the path length when there is none). */
export function pathEnd(path: string): number {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return path.length;
}

type Part = string | number;

function parseSubstitution(sub: string, where: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < sub.length; i++) {
    const ch = sub[i]!;
    if (ch !== '\\') {
      lit += ch;
      continue;
    }
    const next = sub[i + 1];
    if (next === '\\') {
      lit += '\\';
    } else if (next !== undefined && next >= '0' && next <= '9') {
      if (lit) parts.push(lit);
      lit = '';
      parts.push(next.charCodeAt(0) - 48);
    } else {
      throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidSubstitution, where, `"\\" must be followed by a digit or "\\" in ${JSON.stringify(sub)}`);
    }
    i++;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Compiles a RegexMatchAndSubstitute into RE2 GlobalReplace over its whole input. */
export function compileRegexSubstitution(rs: RegexMatchAndSubstitute, where = 'regexRewrite'): Rewriter {
  const pattern = rs.pattern?.regex;
  const re = compileRe2(pattern, `${where}.pattern`, 'g');
  const groups = compileRe2(`(?:${pattern})|`, `${where}.pattern`).exec('')!.length - 1;
  const parts = parseSubstitution(rs.substitution ?? '', `${where}.substitution`);
  let maxGroup = 0;
  for (const p of parts) if (typeof p === 'number' && p > maxGroup) maxGroup = p;
  if (maxGroup > groups) return (input) => input;
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const literal = parts[0];
    return (input) => re.replace(input, () => literal);
  }
  return (input) =>
    re.replace(input, (...args: unknown[]) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : ((args[p] as string | undefined) ?? '');
      return out;
    });
}

/** Length of the path portion a route's match consumed, for prefix rewriting. */
function matchedLength(match: RouteMatch | undefined, path: string): number {
  if (match?.prefix !== undefined) return match.prefix.length;
  if (match?.path !== undefined) return match.path.length;
  if (match?.pathSeparatedPrefix !== undefined) return match.pathSeparatedPrefix.length;
  return pathEnd(path);
}

function buildPathRewriter(
  match: RouteMatch | undefined,
  prefix: string | undefined,
  regex: RegexMatchAndSubstitute | undefined,
  where: string,
): Rewriter | undefined {
  if (prefix !== undefined && prefix !== '') {
    return (path) => prefix + path.slice(Math.min(matchedLength(match, path), path.length));
  }
  if (regex !== undefined) {
    const sub = compileRegexSubstitution(regex, `${where}.regexRewrite`);
    return (path) => {
      const end = pathEnd(path);
      return end === path.length ? sub(path) : sub(path.slice(0, end)) + path.slice(end);
    };
  }
  return undefined;
}

const NONE: Rewriter = (p) => p;
const routeRewriters = new WeakMap<Route, Rewriter>();

/**
 * The path rewriter of a route: its RouteAction's, or for a redirect route its RedirectAction's
 * prefix/regex rewrite. Undefined when the route rewrites nothing. Compiled once per Route object.
 */
export function pathRewriter(route: Route, where = 'route'): Rewriter | undefined {
  let rw = routeRewriters.get(route);
  if (rw === undefined) {
    const src = route.redirect ?? route.route;
    rw = buildPathRewriter(route.match, src?.prefixRewrite, src?.regexRewrite, route.redirect ? `${where}.redirect` : `${where}.route`) ?? NONE;
    routeRewriters.set(route, rw);
  }
  return rw === NONE ? undefined : rw;
}

/** The request path after the route's prefix/regex rewrite (unchanged when it has none). */
export function rewritePath(route: Route, path: string): string {
  const rw = pathRewriter(route);
  return rw ? rw(path) : path;
}

const hostRegexes = new WeakMap<RegexMatchAndSubstitute, Rewriter>();

function hostRegexRewriter(rs: RegexMatchAndSubstitute, where: string): Rewriter {
  let rw = hostRegexes.get(rs);
  if (!rw) {
    rw = compileRegexSubstitution(rs, where);
    hostRegexes.set(rs, rw);
  }
  return rw;
}

/**
 * Compiles (and caches) every rewrite of a route so config errors surface when the route table is
 * built, not on the first request; throws EnvoyConfigError.
 */
export function prepareRewrites(route: Route, where = 'route'): void {
  pathRewriter(route, where);
  const hr = route.route?.hostRewritePathRegex;
  if (hr !== undefined) hostRegexRewriter(hr, `${where}.route.hostRewritePathRegex`);
}

/**
 * The authority the upstream request carries after the action's host rewrite, or undefined when
 * it keeps the original. `upstreamHostname` is the chosen endpoint's hostname, used by
 * `autoHostRewrite` (Envoy applies that only for DNS clusters; the caller decides).
 */
export function rewriteAuthority(action: RouteAction, req: RequestAttributes, upstreamHostname?: string): string | undefined {
  let host: string | undefined;
  if (action.hostRewriteLiteral !== undefined && action.hostRewriteLiteral !== '') {
    host = action.hostRewriteLiteral;
  } else if (action.hostRewriteHeader !== undefined && action.hostRewriteHeader !== '') {
    // Envoy takes the first value of the header (its header map aliases `host` to :authority).
    const name = action.hostRewriteHeader.toLowerCase();
    if (name === 'host' || name === ':authority') {
      host = req.authority;
    } else {
      const v = req.headers[name];
      host = typeof v === 'string' ? v : v?.[0];
    }
  } else if (action.hostRewritePathRegex !== undefined) {
    const rw = hostRegexRewriter(action.hostRewritePathRegex, 'hostRewritePathRegex');
    host = rw(req.path.slice(0, pathEnd(req.path)));
  } else if (action.autoHostRewrite?.value === true) {
    host = upstreamHostname;
  }
  return host === undefined || host === '' ? undefined : host;
}

/** A locally generated reply: status, optional Location and body. */
export interface LocalReply {
  readonly status: number;
  readonly location?: string;
  readonly body?: string;
}

const REDIRECT_CODES: Readonly<Record<RedirectResponseCode, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/** The request's authority with its port removed when Envoy's redirect logic drops it. */
function redirectHost(authority: string, forwardedProto: string, newScheme: string, newPort: string): string {
  if (authority === '') return authority;
  let colon: number;
  if (authority.charCodeAt(0) === 91 /* [ */) {
    colon = authority.lastIndexOf(']:');
    if (colon >= 0) colon += 1;
  } else {
    colon = authority.lastIndexOf(':');
  }
  if (colon < 0) return authority;
  const port = authority.slice(colon);
  let remove = newPort !== '';
  if (newScheme !== forwardedProto) {
    const proto = forwardedProto.toLowerCase();
    remove ||= (proto === 'https' && port === ':443') || (proto === 'http' && port === ':80');
  }
  return remove ? authority.slice(0, colon) : authority;
}

/** Builds the Location URL of a redirect for a request whose path was already rewritten. */
export function redirectLocation(action: RedirectAction | undefined, req: Pick<RequestAttributes, 'authority' | 'path' | 'scheme'>): string {
  const scheme = action?.schemeRedirect || (action?.httpsRedirect ? 'https' : req.scheme);
  const port = action?.portRedirect ? `:${action.portRedirect}` : '';
  const host = action?.hostRedirect || redirectHost(req.authority ?? '', req.scheme, scheme, port);
  const pathRedirect = action?.pathRedirect ?? '';
  const redirectHasQuery = pathRedirect.includes('?');
  let path: string;
  if (pathRedirect !== '') {
    const q = req.path.indexOf('?');
    path = redirectHasQuery || q < 0 ? pathRedirect : pathRedirect + req.path.slice(q);
  } else {
    path = req.path;
  }
  if (!path.startsWith('/')) path = '/' + path;
  if (action?.stripQuery && !redirectHasQuery) {
    const q = path.indexOf('?');
    if (q >= 0) path = path.slice(0, q);
  }
  return `${scheme}://${host}${port}${path}`;
}

/** The redirect reply of a route with a RedirectAction: status and Location. */
export function redirectReply(route: Route, req: Pick<RequestAttributes, 'authority' | 'path' | 'scheme'>): LocalReply {
  const action = route.redirect;
  const path = action?.pathRedirect ? req.path : rewritePath(route, req.path);
  return {
    status: REDIRECT_CODES[action?.responseCode ?? 'MOVED_PERMANENTLY'] ?? 301,
    location: redirectLocation(action, { authority: req.authority, path, scheme: req.scheme }),
  };
}

/** The 301 to https that a virtual host with `requireTls` sends to a plain-text request. */
export function tlsRedirectReply(req: Pick<RequestAttributes, 'authority' | 'path'>): LocalReply {
  return { status: 301, location: `https://${req.authority ?? ''}${req.path}` };
}

/**
 * The reply of a route with a DirectResponseAction: status, body (inline string, or inline bytes
 * decoded as UTF-8; `filename` bodies are not read here) and, for 201 and 3xx statuses, the
 * Location Envoy adds (the request URL itself).
 */
export function directReply(route: Route, req: Pick<RequestAttributes, 'authority' | 'path' | 'scheme'>): LocalReply {
  const action = route.directResponse;
  const status = action?.status ?? 0;
  const b = action?.body;
  const body = b?.inlineString ?? (b?.inlineBytes !== undefined ? Buffer.from(b.inlineBytes, 'base64').toString('utf8') : undefined);
  const wantsLocation = status === 201 || (status >= 300 && status < 400);
  const location = wantsLocation ? redirectLocation(undefined, { ...req, path: rewritePath(route, req.path) }) : undefined;
  return { status, ...(location !== undefined ? { location } : {}), ...(body !== undefined ? { body } : {}) };
}
