/**
 * The HTTP/1.1 grammar pieces the request codec checks (RFC 9110 §5.1, §5.5, RFC 9112 §3, §7.1):
 * tokens, field values, request-target forms, and the methods it knows. Shared by the request
 * parser and the response serializer; pure, no state.
 */

/** `token` (RFC 9110 §5.6.2): field names and methods. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Characters refused in a field value (RFC 9110 §5.5): controls other than HTAB, and DEL. CR and
 * LF included, so a bare one left inside a CRLF-split line is caught. obs-text (0x80–0xFF) is
 * allowed, as llhttp allows it.
 */
export const BAD_FIELD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Bytes of an origin-form or absolute-form target: visible ASCII (llhttp refuses controls, space, DEL and 0x80+). */
const TARGET_CHARS = /^[\x21-\x7e]+$/;
/** absolute-form (RFC 9112 §3.2.2): an http(s) URI with an authority. */
const ABSOLUTE_FORM = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]+(?:[/?][\x21-\x7e]*)?$/;
/** authority-form (RFC 9112 §3.2.3): host:port, CONNECT only. */
const AUTHORITY_FORM = /^(?:[A-Za-z0-9\-._~%!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/**
 * The methods llhttp knows (Node's `http.METHODS`), so that every method Weft accepts parses the
 * same in node:http; a well-formed method outside this list is answered 501 (RFC 9110 §9.1).
 */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'QUERY',
]);

/**
 * Whether `target` is a request-target `method` may carry (RFC 9112 §3.2): origin-form or
 * absolute-form; authority-form only for CONNECT (and CONNECT only that); asterisk-form only for
 * OPTIONS.
 */
export function validTarget(method: string, target: string): boolean {
  if (method === 'CONNECT') return AUTHORITY_FORM.test(target);
  if (target === '*') return method === 'OPTIONS';
  const c = target.charCodeAt(0);
  if (c === 47 /* / */) return TARGET_CHARS.test(target);
  return ABSOLUTE_FORM.test(target);
}

/** `s` without leading and trailing optional whitespace (SP / HTAB), from index `from`. */
export function trimOws(s: string, from: number): string {
  let a = from;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}
