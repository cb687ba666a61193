/**
 * The request hash for RING_HASH / MAGLEV, computed from Envoy `RouteAction.hashPolicy[]` entries
 * (protobufjs object form, camelCase) the way Envoy evaluates them:
 *
 * - `header {headerName}`: the header's value (several values: sorted, then hashed together).
 * - `cookie {name, path, ttl, attributes}`: the cookie's value. When the cookie is absent (or empty)
 *   and a ttl is set, a value is generated, hashed, and returned as a `Set-Cookie` for the response
 *   (`name="value"; Max-Age=ttl; Path=path; attrs; HttpOnly`, Max-Age omitted for a zero ttl, i.e.
 *   a session cookie). Like Envoy, the value is the 64-bit hash, in hex, of the downstream
 *   connection's remote and local addresses: every stream of one connection gets the same cookie,
 *   and because that value is also what this request is hashed on, the client's next request —
 *   carrying the cookie — hashes identically and lands on the same host. (The value cannot be
 *   derived from the chosen upstream: the hash must exist before the balancer picks.)
 * - `connectionProperties {sourceIp: true}`: the downstream IP address.
 * - `queryParameter {name}`: the first value of that query parameter, raw (not percent-decoded);
 *   a parameter without `=` hashes as the empty string.
 * - `terminal`: once a hash exists after a terminal entry, later entries are skipped.
 * Entries that produce a hash are combined by rotate-left-1 then xor (hash.ts#combineHashes).
 * `filterState` and `header.regexRewrite` are not supported and rejected at compile time.
 *
 * Compiled once per route; {@link HashPolicy.compute} scans strings in place and allocates nothing
 * unless a header has several values or a cookie must be generated.
 */

import { LbError, LbErrorCode } from './errors.js';
import { combineHashes, hashString, hashStringHex } from './hash.js';
import { formatAddress } from './host.js';

/** A protobuf Int64 as protobufjs may deliver it (number, decimal string, or Long). */
export type Int64Like = number | string | { toNumber(): number };

/** `google.protobuf.Duration` in protobufjs object form (or its proto3 JSON string, e.g. "3600s"). */
export type DurationLike = { seconds?: Int64Like | null; nanos?: number | null } | string;

/** One `RouteAction.HashPolicy` entry in protobufjs object form. Exactly one specifier is set. */
export interface HashPolicyConfig {
  header?: { headerName?: string; regexRewrite?: unknown } | null;
  cookie?: {
    name?: string;
    path?: string;
    ttl?: DurationLike | null;
    attributes?: ReadonlyArray<{ name?: string; value?: string }> | null;
  } | null;
  connectionProperties?: { sourceIp?: boolean } | null;
  queryParameter?: { name?: string } | null;
  filterState?: { key?: string } | null;
  terminal?: boolean | null;
  /** protobufjs's virtual oneof field, when decoded with `oneofs: true`. */
  policySpecifier?: string | null;
}

/** The parts of a request hash policies read; build it cheaply (getters are fine). */
export interface HashRequestView {
  /** Header value(s) by lower-case name, as node's `IncomingHttpHeaders` holds them. */
  header(name: string): string | readonly string[] | undefined;
  /** The `Cookie` header (several joined with "; "), if any. */
  readonly cookie?: string | undefined;
  /** Downstream peer IP address, without brackets or port. */
  readonly sourceIp?: string | undefined;
  /** Downstream peer port (seeds generated cookies, with `localAddress`). */
  readonly sourcePort?: number | undefined;
  /** The accepting socket's `ip:port` (seeds generated cookies). */
  readonly localAddress?: string | undefined;
  /** The query string without its leading `?` (and without a fragment), if any. */
  readonly query?: string | undefined;
}

/** What {@link HashPolicy.compute} returns. */
export interface HashPolicyResult {
  /** The request hash (53-bit unsigned integer), absent when no policy produced one. */
  hash?: number | undefined;
  /** A `Set-Cookie` header value to add to the downstream response (generated cookie). */
  setCookie?: string | undefined;
}

type Method =
  | { readonly kind: 'header'; readonly name: string; readonly fallbackName: string | undefined; readonly terminal: boolean }
  | { readonly kind: 'cookie'; readonly name: string; readonly ttl: number | undefined; readonly cookieSuffix: string; readonly terminal: boolean }
  | { readonly kind: 'sourceIp'; readonly terminal: boolean }
  | { readonly kind: 'query'; readonly name: string; readonly terminal: boolean };

/** A compiled route hash policy. */
export class HashPolicy {
  private readonly methods: readonly Method[];

  private constructor(methods: readonly Method[]) {
    this.methods = methods;
  }

  /** Compiles `RouteAction.hashPolicy`; throws `LB_INVALID_HASH_POLICY` for malformed entries. */
  static compile(entries: readonly HashPolicyConfig[] | null | undefined): HashPolicy {
    const methods: Method[] = [];
    (entries ?? []).forEach((entry, i) => {
      const m = compileEntry(entry, i);
      if (m !== undefined) methods.push(m);
    });
    return new HashPolicy(Object.freeze(methods));
  }

  /** True when no entry can ever produce a hash (the router may skip {@link compute}). */
  get isEmpty(): boolean {
    return this.methods.length === 0;
  }

  /**
   * Evaluates the policy for one request. Pass `out` to reuse a result object across requests;
   * its fields are overwritten.
   */
  compute(view: HashRequestView, out: HashPolicyResult = {}): HashPolicyResult {
    let hash: number | undefined;
    let setCookie: string | undefined;
    for (const m of this.methods) {
      let h: number | undefined;
      switch (m.kind) {
        case 'header':
          h = hashHeader(view, m.name, m.fallbackName);
          break;
        case 'sourceIp': {
          const ip = view.sourceIp;
          if (ip !== undefined && ip.length > 0) h = hashString(ip);
          break;
        }
        case 'query':
          h = hashQueryParameter(view.query, m.name);
          break;
        case 'cookie': {
          h = hashCookie(view.cookie, m.name);
          if (h === undefined && m.ttl !== undefined) {
            const seed = (view.sourceIp ? formatAddress(view.sourceIp, view.sourcePort ?? 0) : '') + (view.localAddress ?? '');
            const value = hashStringHex(seed);
            h = hashString(value);
            setCookie ??= `${m.name}="${value}"${m.ttl > 0 ? `; Max-Age=${m.ttl}` : ''}${m.cookieSuffix}`;
          }
          break;
        }
      }
      if (h !== undefined) hash = hash === undefined ? h : combineHashes(hash, h);
      if (m.terminal && hash !== undefined) break;
    }
    out.hash = hash;
    out.setCookie = setCookie;
    return out;
  }
}

/** RFC 6265 cookie-name / attribute-name token (RFC 7230 tchar). */
const COOKIE_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A Set-Cookie attribute value: visible ASCII and spaces, except ';'. */
const COOKIE_ATTRIBUTE_VALUE = /^[\x20-\x3a\x3c-\x7e]*$/;

function compileEntry(entry: HashPolicyConfig, index: number): Method | undefined {
  const where = `hashPolicy[${index}]`;
  const set = (['header', 'cookie', 'connectionProperties', 'queryParameter', 'filterState'] as const).filter(
    (k) => entry[k] !== undefined && entry[k] !== null,
  );
  const specifier = entry.policySpecifier ?? (set.length === 1 ? set[0] : undefined);
  if (specifier === undefined) {
    throw invalid(`${where}: exactly one of header, cookie, connectionProperties, queryParameter, filterState must be set (found ${set.length})`);
  }
  if (!(set as readonly string[]).includes(specifier)) {
    throw invalid(`${where}: policySpecifier is ${specifier} but that field is not set`);
  }
  const terminal = entry.terminal === true;
  switch (specifier) {
    case 'header': {
      const name = entry.header?.headerName;
      if (!name) throw invalid(`${where}.header.headerName must be non-empty`);
      if (entry.header?.regexRewrite !== undefined && entry.header.regexRewrite !== null) {
        throw invalid(`${where}.header.regexRewrite is not supported`);
      }
      const lower = name.toLowerCase();
      return { kind: 'header', name: lower, fallbackName: lower === ':authority' ? 'host' : undefined, terminal };
    }
    case 'cookie': {
      const c = entry.cookie!;
      // The name, path and attributes end up in a Set-Cookie header: keep them to safe characters.
      if (!c.name || !COOKIE_TOKEN.test(c.name)) throw invalid(`${where}.cookie.name ${JSON.stringify(c.name ?? '')} is not a cookie name token`);
      const ttl = c.ttl === undefined || c.ttl === null ? undefined : durationSeconds(c.ttl, `${where}.cookie.ttl`);
      if (c.path && !COOKIE_ATTRIBUTE_VALUE.test(c.path)) throw invalid(`${where}.cookie.path contains ';' or control characters`);
      let suffix = c.path ? `; Path=${c.path}` : '';
      for (const a of c.attributes ?? []) {
        if (!a.name || !COOKIE_TOKEN.test(a.name)) throw invalid(`${where}.cookie.attributes: name ${JSON.stringify(a.name ?? '')} is not a token`);
        if (a.value && !COOKIE_ATTRIBUTE_VALUE.test(a.value)) throw invalid(`${where}.cookie.attributes: value of ${a.name} contains ';' or control characters`);
        suffix += a.value ? `; ${a.name}=${a.value}` : `; ${a.name}`;
      }
      return { kind: 'cookie', name: c.name, ttl, cookieSuffix: `${suffix}; HttpOnly`, terminal };
    }
    case 'connectionProperties':
      // Envoy adds no method when sourceIp is false.
      return entry.connectionProperties?.sourceIp === true ? { kind: 'sourceIp', terminal } : undefined;
    case 'queryParameter': {
      const name = entry.queryParameter?.name;
      if (!name) throw invalid(`${where}.queryParameter.name must be non-empty`);
      return { kind: 'query', name, terminal };
    }
    case 'filterState':
      throw invalid(`${where}.filterState is not supported`);
    default:
      throw invalid(`${where}: unknown policy specifier ${specifier}`);
  }
}

/** Whole seconds of a Duration; Envoy drops the nanos of a cookie ttl. */
function durationSeconds(d: DurationLike, where: string): number {
  let seconds: number;
  if (typeof d === 'string') {
    const m = /^(\d+)(?:\.\d+)?s$/.exec(d);
    if (m === null) throw invalid(`${where}: ${JSON.stringify(d)} is not a duration like "3600s"`);
    seconds = Number(m[1]);
  } else {
    const s = d.seconds ?? 0;
    seconds = typeof s === 'number' ? s : typeof s === 'string' ? Number(s) : s.toNumber();
  }
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalid(`${where}: seconds must be a non-negative integer`);
  return seconds;
}

function invalid(message: string): LbError {
  return new LbError(LbErrorCode.InvalidHashPolicy, message);
}

function hashHeader(view: HashRequestView, name: string, fallbackName: string | undefined): number | undefined {
  let v = view.header(name);
  if (v === undefined && fallbackName !== undefined) v = view.header(fallbackName);
  if (v === undefined) return undefined;
  if (typeof v === 'string') return hashString(v);
  if (v.length === 0) return undefined;
  if (v.length === 1) return hashString(v[0]!);
  // Several values: order-independent, as Envoy sorts them before hashing.
  return hashString([...v].sort().join('\u0000'));
}

/**
 * Hash of cookie `name`'s value in a Cookie header, parsed as Envoy does: pairs split on ';',
 * leading spaces skipped, first exact name match wins, one pair of surrounding double quotes
 * stripped. An empty value counts as absent.
 */
function hashCookie(header: string | undefined, name: string): number | undefined {
  if (header === undefined) return undefined;
  const len = header.length;
  let pos = 0;
  while (pos < len) {
    let end = header.indexOf(';', pos);
    if (end === -1) end = len;
    let start = pos;
    while (start < end && header.charCodeAt(start) === 0x20) start++;
    if (end - start > name.length && header.charCodeAt(start + name.length) === 0x3d && header.startsWith(name, start)) {
      let vs = start + name.length + 1;
      let ve = end;
      if (ve - vs >= 2 && header.charCodeAt(vs) === 0x22 && header.charCodeAt(ve - 1) === 0x22) {
        vs++;
        ve--;
      }
      return ve > vs ? hashString(header, vs, ve) : undefined;
    }
    pos = end + 1;
  }
  return undefined;
}

/** Hash of the first value of query parameter `name` (raw), or undefined when absent. */
function hashQueryParameter(query: string | undefined, name: string): number | undefined {
  if (query === undefined) return undefined;
  const len = query.length;
  let pos = 0;
  while (pos < len) {
    let end = query.indexOf('&', pos);
    if (end === -1) end = len;
    if (query.startsWith(name, pos)) {
      const after = pos + name.length;
      if (after === end) return hashString(query, after, after);
      if (query.charCodeAt(after) === 0x3d) return hashString(query, after + 1, end);
    }
    pos = end + 1;
  }
  return undefined;
}
