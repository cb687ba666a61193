/**
 * Istio's webhook rules for one HTTP route of a VirtualService (`validateHTTPRoute` and its helpers:
 * route/redirect/direct-response conflicts, matches, header operations, CORS, faults, redirects,
 * retries, rewrites, weighted destinations). Used by `virtual-service-checks.ts`.
 */
import type { IssueSink } from './common.js';
import {
  checkDestination,
  checkDuration,
  checkGatewayNames,
  checkLabels,
  checkPercentage,
  checkPort,
  checkStringMatch,
  isDNS1123Label,
  regexError,
  SCHEMA_WARNING,
  type Path,
} from './networking-common.js';
import type {
  CorsPolicy,
  Headers,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRoute,
  HTTPRouteDestination,
  RouteDestination,
} from './virtual-service.js';

/** Retry conditions Envoy accepts in `x-envoy-retry-on` / `x-envoy-retry-grpc-on`, as Istio lists them. */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/** HTTP status codes with a standard reason phrase (Go's `http.StatusText`), accepted bare in `retryOn`. */
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423,
  424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** gRPC status names Istio accepts for `fault.abort.grpcStatus`. */
const GRPC_STATUS = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
const TCHAR_NAME = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
/** Header-match keys in this form route on JWT claims (gateways only). */
export const JWT_CLAIM_PREFIX = '@request.auth.claims.';

/**
 * True when a match header names a JWT claim the way istiod's jwt.ToRoutingClaim accepts it:
 * `@request.auth.claims.<a>[.<b>…]` or `@request.auth.claims[<a>][<b>…]`, prefix case-insensitive.
 */
export function isJwtClaimRoute(name: string): boolean {
  if (!name.toLowerCase().startsWith('@request.auth.claims')) return false;
  const rest = name.slice('@request.auth.claims'.length);
  return (rest.startsWith('.') && rest.length > 1) || (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2);
}

/** Records `err` at `path` when there is one. */
export function addError(sink: IssueSink, path: Path, err: string | undefined): void {
  if (err) sink.error(path, err);
}

/** Istio's `validateHTTPRoute`; `inDelegate` when the route belongs to a delegate VirtualService. */
export function checkHTTPRoute(sink: IssueSink, p: Path, r: HTTPRoute, inDelegate: boolean): void {
  const isRoot = !inDelegate && r.delegate !== undefined;
  if (isRoot) {
    const label = r.name ?? '';
    if (r.redirect) sink.error([...p, 'redirect'], `root HTTP route ${label} must not specify redirect`);
    if (r.route) sink.error([...p, 'route'], `root HTTP route ${label} must not specify route`);
    if (r.directResponse) sink.error([...p, 'directResponse'], `root HTTP route ${label} must not specify direct_response`);
  } else {
    if (inDelegate && r.delegate) sink.error([...p, 'delegate'], 'delegate HTTP route cannot contain delegate');
    const hasRoute = (r.route ?? []).length > 0;
    if (r.redirect) {
      if (hasRoute) sink.error([...p, 'redirect'], 'HTTP route cannot contain both route and redirect');
      if (r.fault) sink.error([...p, 'fault'], 'HTTP route cannot contain both fault and redirect');
      if (r.rewrite) sink.error([...p, 'rewrite'], 'HTTP route rule cannot contain both rewrite and redirect');
      if (r.directResponse) sink.error([...p, 'directResponse'], 'HTTP route rule cannot contain both direct_response and redirect');
    } else if (r.directResponse) {
      if (hasRoute) sink.error([...p, 'directResponse'], 'HTTP route cannot contain both route and direct_response');
      if (r.fault) sink.error([...p, 'fault'], 'HTTP route cannot contain both fault and direct_response');
      if (r.rewrite) sink.error([...p, 'rewrite'], 'HTTP route rule cannot contain both rewrite and direct_response');
    } else if (!hasRoute) {
      sink.error(p, 'HTTP route, redirect or direct_response is required');
    }
  }
  if (r.mirror && (r.mirrors ?? []).length > 0) sink.error([...p, 'mirrors'], 'HTTP route cannot contain both mirror and mirrors');

  r.match?.forEach((m, j) => checkHTTPMatch(sink, [...p, 'match', j], m));
  checkHeaderOperations(sink, [...p, 'headers'], r.headers);
  checkCors(sink, [...p, 'corsPolicy'], r.corsPolicy);
  checkFault(sink, [...p, 'fault'], r.fault);
  checkPercentage(sink, [...p, 'mirrorPercentage'], r.mirrorPercentage);
  checkDestination(sink, [...p, 'mirror'], r.mirror);
  r.mirrors?.forEach((m, k) => {
    const mp = [...p, 'mirrors', k];
    if (!m.destination) sink.error(mp, 'destination is required for mirrors');
    checkDestination(sink, [...mp, 'destination'], m.destination);
  });
  checkRedirect(sink, [...p, 'redirect'], r);
  if (r.directResponse) {
    const dr = r.directResponse;
    const body = dr.body;
    if (body && body.string !== undefined && body.bytes !== undefined) sink.error([...p, 'directResponse', 'body'], 'only one of string or bytes may be set');
    const size = body?.string !== undefined ? Buffer.byteLength(body.string) : body?.bytes !== undefined ? Buffer.from(body.bytes, 'base64').length : 0;
    if (size > 1024 * 1024) sink.error([...p, 'directResponse', 'body'], 'large direct_responses may impact control plane performance, must be less than 1MB');
    else if (size > 100 * 1024) sink.warn([...p, 'directResponse', 'body'], 'large direct_responses may impact control plane performance', SCHEMA_WARNING);
    addError(sink, [...p, 'directResponse', 'status'], httpStatusError(dr.status));
  }
  checkRetries(sink, [...p, 'retries'], r);
  checkRewrite(sink, [...p, 'rewrite'], r);
  checkHTTPRouteDestinations(sink, [...p, 'route'], r.route);
  checkDuration(sink, [...p, 'timeout'], r.timeout);
}

function isAuthorityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === ':authority' || n === 'host';
}

/** Istio's `ValidateHTTPHeaderValue`: no control characters; `%` only as `%%` or around an Envoy variable. */
export function headerValueError(value: string): string | undefined {
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value configuration ${value} is invalid`;
  const variable = /[A-Z0-9_]+(?:\([^()]*(?:\([^()]*\)[^()]*)*\))?(?::\d+)?%/y;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue;
    if (value[i + 1] === '%') {
      i++;
      continue;
    }
    variable.lastIndex = i + 1;
    const m = variable.exec(value);
    if (!m) return 'header value configuration: single % not allowed.  Escape by doubling to %% or encase Envoy variable name in pair of %';
    i += m[0].length;
  }
  return undefined;
}

/**
 * Istio's header-operation name rules: request `set`/`add` may name `:authority`/`host` but no
 * other pseudo-header; `remove` and all response operations may not
 * touch `host` or pseudo-headers. Values must be valid Envoy header values.
 */
function checkHeaderOperations(sink: IssueSink, p: Path, h: Headers | undefined): void {
  if (!h) return;
  const setOrAddRequest = (name: string): string | undefined => {
    if (name === '') return 'header name cannot be empty';
    const internal = name.startsWith(':') || name.toLowerCase() === 'host';
    return internal && !isAuthorityHeader(name) ? `invalid header "${name}": header cannot have ":" prefix` : undefined;
  };
  const strict = (name: string): string | undefined => {
    if (name === '') return 'header name cannot be empty';
    if (name.toLowerCase() === 'host') return `invalid header "${name}": cannot set Host header`;
    if (name.startsWith(':')) return `invalid header "${name}": header cannot have ":" prefix`;
    return undefined;
  };
  for (const dir of ['request', 'response'] as const) {
    const ops = h[dir];
    if (!ops) continue;
    const nameRule = dir === 'request' ? setOrAddRequest : strict;
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of Object.entries(ops[op] ?? {})) {
        addError(sink, [...p, dir, op, name], nameRule(name));
        addError(sink, [...p, dir, op, name], headerValueError(value));
      }
    }
    ops.remove?.forEach((name, i) => addError(sink, [...p, dir, 'remove', i], strict(name)));
  }
}

function checkHeaderMatchName(sink: IssueSink, path: Path, name: string): void {
  if (name === '') sink.error(path, 'header name cannot be empty');
  else if (!isJwtClaimRoute(name) && !PSEUDO_HEADERS.has(name) && !TCHAR_NAME.test(name)) {
    sink.error(path, `header name ${name} is not a valid header name`);
  }
}

function checkHTTPMatch(sink: IssueSink, p: Path, m: HTTPMatchRequest): void {
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    checkHeaderMatchName(sink, [...p, 'headers', name], name);
    checkStringMatch(sink, [...p, 'headers', name], sm);
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    checkHeaderMatchName(sink, [...p, 'withoutHeaders', name], name);
    // `regex: "*"` is not RE2 here: Istio translates it to a presence match.
    if (sm.regex !== '*') checkStringMatch(sink, [...p, 'withoutHeaders', name], sm);
  }
  checkStringMatch(sink, [...p, 'uri'], m.uri, { allowEmptyPrefix: true });
  checkStringMatch(sink, [...p, 'scheme'], m.scheme);
  checkStringMatch(sink, [...p, 'method'], m.method);
  checkStringMatch(sink, [...p, 'authority'], m.authority);
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) checkStringMatch(sink, [...p, 'queryParams', name], sm);
  if (m.port) checkPort(sink, [...p, 'port'], m.port);
  checkLabels(sink, [...p, 'sourceLabels'], m.sourceLabels);
  checkGatewayNames(sink, [...p, 'gateways'], m.gateways);
  if (m.sourceNamespace && !isDNS1123Label(m.sourceNamespace)) {
    sink.error([...p, 'sourceNamespace'], `sourceNamespace match ${m.sourceNamespace} is invalid`);
  }
}

function checkCors(sink: IssueSink, p: Path, c: CorsPolicy | undefined): void {
  if (!c) return;
  c.allowOrigins?.forEach((o, i) => {
    const value = o.exact ?? o.prefix ?? o.regex ?? '';
    if (value === '') sink.error([...p, 'allowOrigins', i], `'' is not a valid match type for CORS allow origins`);
    else checkStringMatch(sink, [...p, 'allowOrigins', i], o);
  });
  c.allowMethods?.forEach((m, i) => {
    if (!CORS_METHODS.has(m)) sink.error([...p, 'allowMethods', i], `"${m}" is not a supported HTTP method`);
  });
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    c[field]?.forEach((h, i) => {
      if (h === '') sink.error([...p, field, i], 'header name cannot be empty');
      else if (h !== '*' && !TCHAR_NAME.test(h)) sink.error([...p, field, i], `header name ${h} is not a valid header name`);
    });
  }
  const ms = checkDuration(sink, [...p, 'maxAge'], c.maxAge);
  if (ms !== undefined && ms % 1000 !== 0) sink.error([...p, 'maxAge'], 'max_age duration is accurate only to seconds precision');
}

function httpStatusError(status: number): string | undefined {
  return status < 200 || status > 600 ? `HTTP status ${status} is not in range 200-599` : undefined;
}

function checkFault(sink: IssueSink, p: Path, f: HTTPFaultInjection | undefined): void {
  if (!f) return;
  if (!f.abort && !f.delay) sink.error(p, 'HTTP fault injection must have an abort and/or a delay');
  const a = f.abort;
  if (a) {
    const ap = [...p, 'abort'];
    checkPercentage(sink, [...ap, 'percentage'], a.percentage);
    const kinds = (['httpStatus', 'grpcStatus', 'http2Error'] as const).filter((k) => a[k] !== undefined);
    if (kinds.length > 1) sink.error(ap, `only one of httpStatus, grpcStatus or http2Error may be set (found ${kinds.join(', ')})`);
    if (a.httpStatus !== undefined) addError(sink, [...ap, 'httpStatus'], httpStatusError(a.httpStatus));
    else if (a.grpcStatus !== undefined) {
      if (!GRPC_STATUS.has(a.grpcStatus)) {
        sink.error([...ap, 'grpcStatus'], `gRPC status "${a.grpcStatus}" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`);
      }
    } else if (a.http2Error !== undefined) sink.error([...ap, 'http2Error'], 'HTTP/2 abort fault injection not supported yet');
    else sink.warn(ap, 'abort configured, but error type not set', SCHEMA_WARNING);
  }
  const d = f.delay;
  if (d) {
    const dp = [...p, 'delay'];
    checkPercentage(sink, [...dp, 'percentage'], d.percentage);
    if (d.fixedDelay !== undefined && d.exponentialDelay !== undefined) sink.error(dp, 'only one of fixedDelay or exponentialDelay may be set');
    checkDuration(sink, [...dp, 'fixedDelay'], d.fixedDelay);
    if (d.exponentialDelay !== undefined) {
      checkDuration(sink, [...dp, 'exponentialDelay'], d.exponentialDelay);
      sink.error([...dp, 'exponentialDelay'], 'exponentialDelay not supported yet');
    }
  }
}

function checkRedirect(sink: IssueSink, p: Path, r: HTTPRoute): void {
  const rd = r.redirect;
  if (!rd) return;
  if (rd.port !== undefined && rd.derivePort !== undefined) sink.error(p, 'only one of port or derivePort may be set');
  // Istio's validateHTTPRedirect (pkg/config/validation/validation.go).
  if (rd.uri && rd.prefixRewrite) sink.error(p, 'redirect may only specify one of uri or prefix_rewrite');
  if (rd.prefixRewrite && (r.match ?? []).some((m) => m.uri !== undefined && m.uri.prefix === undefined)) {
    sink.error([...p, 'prefixRewrite'], 'redirect prefix_rewrite requires all URI matches to use prefix match type');
  }
  if (!rd.uri && !rd.prefixRewrite && !rd.authority && rd.port === undefined && rd.derivePort === undefined && !rd.scheme) {
    sink.error(p, 'redirect must specify URI, authority, scheme, or port');
  }
  if (rd.redirectCode && (rd.redirectCode < 300 || rd.redirectCode > 399)) {
    sink.error([...p, 'redirectCode'], `${rd.redirectCode} is not a valid redirect code, must be 3xx`);
  }
  if (rd.scheme && rd.scheme !== 'http' && rd.scheme !== 'https') sink.error([...p, 'scheme'], 'invalid redirect scheme, must be "http" or "https"');
  if (rd.port) checkPort(sink, [...p, 'port'], rd.port);
}

function checkRetries(sink: IssueSink, p: Path, r: HTTPRoute): void {
  const rt = r.retries;
  if (!rt) return;
  const attempts = rt.attempts ?? 0;
  if (attempts < 0) sink.error([...p, 'attempts'], 'attempts cannot be negative');
  if (attempts === 0 && (rt.perTryTimeout !== undefined || (rt.retryOn ?? '') !== '' || rt.retryRemoteLocalities !== undefined)) {
    sink.error(p, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  checkDuration(sink, [...p, 'perTryTimeout'], rt.perTryTimeout);
  if (rt.retryOn) {
    for (const policy of rt.retryOn.split(',')) {
      const code = /^\d+$/.test(policy) ? Number(policy) : NaN;
      if (!KNOWN_STATUS.has(code) && !RETRY_ON_POLICIES.has(policy)) sink.error([...p, 'retryOn'], `"${policy}" is not a valid retryOn policy`);
    }
  }
  checkDuration(sink, [...p, 'backoff'], rt.backoff);
}

function checkRewrite(sink: IssueSink, p: Path, r: HTTPRoute): void {
  const rw = r.rewrite;
  if (rw) {
    if (rw.uri && rw.uriRegexRewrite) sink.error(p, 'rewrite may only contain one of URI or UriRegexRewrite');
    else if (!rw.uri && !rw.uriRegexRewrite && !rw.authority) {
      sink.error(p, 'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
    }
    const rr = rw.uriRegexRewrite;
    if (rr) {
      if (!rr.match || !rr.rewrite) sink.error([...p, 'uriRegexRewrite'], 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
      else addError(sink, [...p, 'uriRegexRewrite', 'match'], regexError(rr.match));
    }
  }
  // Authority may be rewritten in only one place (rewrite.authority or a :authority/host header).
  let current = rw?.authority ?? '';
  for (const op of ['set', 'add'] as const) {
    for (const [k, v] of Object.entries(r.headers?.request?.[op] ?? {})) {
      if (!isAuthorityHeader(k)) continue;
      if (current !== '') {
        sink.error([...p.slice(0, -1), 'headers', 'request', op, k], `authority header cannot be set multiple times: have "${current}", attempting to set "${v}"`);
        return;
      }
      current = v;
    }
  }
}

function checkHTTPRouteDestinations(sink: IssueSink, p: Path, route: readonly HTTPRouteDestination[] | undefined): void {
  if (!route) return;
  route.forEach((d, i) => checkHeaderOperations(sink, [...p, i, 'headers'], d.headers));
  checkRouteDestinations(sink, p, route);
}

/** Destinations valid, weights non-negative, and a weight total above 0 when there are several. */
export function checkRouteDestinations(sink: IssueSink, p: Path, route: readonly RouteDestination[] | undefined): void {
  if (!route) return;
  let total = 0;
  route.forEach((d, i) => {
    checkDestination(sink, [...p, i, 'destination'], d.destination);
    const w = d.weight ?? 0;
    if (w < 0) sink.error([...p, i, 'weight'], `weight ${w} < 0`);
    total += w;
  });
  if (route.length > 1 && total === 0) sink.error(p, 'total destination weight = 0');
}
