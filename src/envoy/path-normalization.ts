/**
 * Envoy's HTTP connection manager path handling (`normalize_path`, `merge_slashes`,
 * `path_with_escaped_slashes_action`), run once per request before authorization and routing, so
 * that the path a policy sees is the path the app receives.
 *
 * Semantics (only the path part; the query string is kept byte for byte, a `#fragment` is dropped
 * as Envoy's `strip_fragment_from_path` does):
 * - `normalizePath` (RFC 3986 §6.2.2): percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`)
 *   are decoded, other escapes get upper-case hex, a `%` that starts no escape becomes `%25`, `\`
 *   becomes `/` (as Envoy's URL canonicalizer does), and dot segments are removed (§5.2.4; `/..` never climbs above the root).
 * - `mergeSlashes`: runs of `/` become one. Weft merges before and after dot-segment removal, so the
 *   result is a fixed point (normalizing it again changes nothing).
 * - escaped slashes (`%2F`, `%5C`, any case): KEEP_UNCHANGED (and IMPLEMENTATION_SPECIFIC_DEFAULT)
 *   leaves them, REJECT_REQUEST answers 400, UNESCAPE_AND_FORWARD decodes them before
 *   normalization, UNESCAPE_AND_REDIRECT redirects to the decoded, normalized path.
 * - Weft's strict mode (what REJECT_REQUEST selects, i.e. mesh config `WEFT_STRICT`, the default)
 *   also rejects a raw `\`, malformed escapes (`%`, `%zz`) and escaped control characters
 *   (`%00`–`%1F`, `%7F`), since each is read differently by different servers.
 * Case is never changed (`/ADMIN` stays `/ADMIN`): paths are case-sensitive in RFC 3986.
 */
import type { HttpConnectionManager, PathWithEscapedSlashesAction } from './types.js';

/** The path handling of one HTTP connection manager. */
export interface PathNormalizationOptions {
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: PathWithEscapedSlashesAction;
}

/** Outcome of normalizing one `:path`. */
export type PathNormalizationResult =
  | { readonly kind: 'ok'; readonly path: string }
  | { readonly kind: 'reject'; readonly reason: PathRejectReason }
  | { readonly kind: 'redirect'; readonly path: string };

/** Why a path was rejected (stable codes, used in response details). */
export type PathRejectReason = 'escaped_slash' | 'backslash' | 'invalid_escape' | 'escaped_control_char';

/** No normalization at all (Envoy's defaults when the HCM sets nothing). */
export const NO_NORMALIZATION: PathNormalizationOptions = Object.freeze({ normalizePath: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' as const });

/** Reads the path handling settings of an HCM config. */
export function pathNormalizationOf(hcm: HttpConnectionManager): PathNormalizationOptions {
  return {
    normalizePath: hcm.normalizePath?.value === true,
    mergeSlashes: hcm.mergeSlashes === true,
    escapedSlashes: hcm.pathWithEscapedSlashesAction ?? 'IMPLEMENTATION_SPECIFIC_DEFAULT',
  };
}

/** True when the options change nothing (the fast path skips normalization). */
export function isNoop(o: PathNormalizationOptions): boolean {
  return !o.normalizePath && !o.mergeSlashes && (o.escapedSlashes === 'KEEP_UNCHANGED' || o.escapedSlashes === 'IMPLEMENTATION_SPECIFIC_DEFAULT');
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** Normalizes a request `:path` (with query) as the options say. */
export function normalizeRequestPath(rawPath: string, o: PathNormalizationOptions): PathNormalizationResult {
  if (isPlain(rawPath)) return { kind: 'ok', path: rawPath };
  const hash = rawPath.indexOf('#');
  const full = hash >= 0 ? rawPath.slice(0, hash) : rawPath;
  if (full.length === 0 || full.charCodeAt(0) !== 47 /* / */) return { kind: 'ok', path: full.length === 0 ? '/' : full };
  const q = full.indexOf('?');
  let path = q >= 0 ? full.slice(0, q) : full;
  const query = q >= 0 ? full.slice(q) : '';
  const strict = o.escapedSlashes === 'REJECT_REQUEST';

  if (strict) {
    const why = strictCheck(path);
    if (why !== undefined) return { kind: 'reject', reason: why };
  }
  const hasEscapedSlash = /%(2f|5c)/i.test(path);
  if (hasEscapedSlash) {
    if (o.escapedSlashes === 'UNESCAPE_AND_FORWARD' || o.escapedSlashes === 'UNESCAPE_AND_REDIRECT') {
      path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
    }
  }
  if (o.normalizePath) path = canonicalPath(path, o.mergeSlashes);
  else if (o.mergeSlashes) path = mergeSlashes(path);
  const out = path + query;
  if (hasEscapedSlash && o.escapedSlashes === 'UNESCAPE_AND_REDIRECT') return { kind: 'redirect', path: out };
  return { kind: 'ok', path: out };
}

/** True for the common case: a path (before any query) with no `%`, `\\`, `#`, `//` or dot segment. */
function isPlain(p: string): boolean {
  if (p.length === 0 || p.charCodeAt(0) !== 47) return false;
  let prev = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 63 /* ? */) return p.indexOf('#', i) < 0;
    if (c === 37 || c === 92 || c === 35) return false;
    if (c === 47 && prev === 47) return false;
    if (c === 46 /* . */ && prev === 47) {
      const n = p.charCodeAt(i + 1);
      if (Number.isNaN(n) || n === 47 || n === 63 || n === 46) return false;
    }
    prev = c;
  }
  return true;
}

/** Weft's strict checks on the raw path part; returns the reason to reject, if any. */
function strictCheck(path: string): PathRejectReason | undefined {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 92 /* \ */) return 'backslash';
    if (c !== 37 /* % */) continue;
    const h = i + 2 < path.length ? hexValue(path.charCodeAt(i + 1)) : -1;
    const l = h >= 0 ? hexValue(path.charCodeAt(i + 2)) : -1;
    if (h < 0 || l < 0) return 'invalid_escape';
    const v = h * 16 + l;
    if (v === 0x2f || v === 0x5c) return 'escaped_slash';
    if (v < 0x20 || v === 0x7f) return 'escaped_control_char';
    i += 2;
  }
  return undefined;
}

/** Collapses runs of `/`. */
export function mergeSlashes(path: string): string {
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

/** Decodes unreserved escapes, upper-cases other escapes, escapes stray `%` and turns `\` into `/`. */
function decodeUnreserved(path: string): string {
  if (!path.includes('%') && !path.includes('\\')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 92) {
      out += '/';
      continue;
    }
    if (c === 37 && i + 2 < path.length) {
      const h = hexValue(path.charCodeAt(i + 1));
      const l = hexValue(path.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        const v = h * 16 + l;
        out += isUnreserved(v) ? String.fromCharCode(v) : `%${HEX[h]}${HEX[l]}`;
        i += 2;
        continue;
      }
    }
    // A stray '%' becomes '%25', so decoding cannot form a new escape with what follows.
    out += c === 37 ? '%25' : path[i];
  }
  return out;
}

/** RFC 3986 §5.2.4 dot-segment removal on an absolute path, segment by segment. */
export function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const input = path.split('/');
  const out: string[] = [];
  // input[0] is '' (the path starts with '/').
  for (let i = 1; i < input.length; i++) {
    const seg = input[i]!;
    const last = i === input.length - 1;
    if (seg === '.') {
      if (last) out.push('');
    } else if (seg === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Envoy's canonical path (decode unreserved, `\` → `/`, dot segments), optionally with merged slashes. */
export function canonicalPath(path: string, merge: boolean): string {
  let p = decodeUnreserved(path);
  if (merge) p = mergeSlashes(p);
  p = removeDotSegments(p);
  if (merge) p = mergeSlashes(p);
  return p;
}
