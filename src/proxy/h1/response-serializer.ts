/**
 * Writes HTTP/1.1 response heads and frames their bodies (RFC 9112 §4, §6, §7.1, §9.3) for the
 * downstream codec: the status line, header fields as given (names kept; connection-level fields
 * the codec owns are replaced), and the body framing chosen from the request and the headers:
 * - no body for a HEAD request, 1xx, 204 and 304 (RFC 9110 §6.4.1); a Content-Length given with them is kept, as Envoy keeps it;
 * - `Content-Length` when the headers carry one;
 * - otherwise `Transfer-Encoding: chunked` to an HTTP/1.1 client, or close-delimited to HTTP/1.0;
 * - `Connection: close` when the request or the server ends the connection (or the body is
 *   close-delimited); `Connection: keep-alive` to an HTTP/1.0 client that keeps it.
 * Header values with CR, LF or NUL are refused (response splitting), as node:http refuses them.
 */
import { WeftError } from '../../util/weft-error.js';
import { BAD_FIELD_VALUE, TOKEN } from './h1-syntax.js';

/** Error code of a response head the serializer refuses to write. */
export const INVALID_RESPONSE_CODE = 'WEFT_H1_INVALID_RESPONSE';

/** A response head that cannot be written (bad status, name or value); stable code {@link INVALID_RESPONSE_CODE}. */
export class InvalidResponseError extends WeftError {
  /** Stable error code. */
  readonly code = INVALID_RESPONSE_CODE;
  constructor(message: string) {
    super(`invalid response: ${message}`);
    this.name = 'InvalidResponseError';
  }
}

/** Response header fields: names and values alternating, or a record (an array value: one line each). */
export type ResponseHeaders = readonly string[] | Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** What the serializer needs to know about the request being answered. */
export interface ResponseContext {
  /** The request method (`HEAD` responses have no body). */
  readonly method: string;
  /** The request's HTTP minor version. */
  readonly versionMinor: 0 | 1;
  /** Whether the connection should stay open after this response (request keep-alive, not draining). */
  readonly keepAlive: boolean;
}

/** How a response's body is framed. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

/** A serialized head and what follows it. */
export interface SerializedHead {
  /** The status line and header section, CRLFCRLF-terminated (latin1). */
  readonly head: string;
  readonly framing: BodyFraming;
  /** The Content-Length for `length` framing (-1 otherwise). */
  readonly contentLength: number;
  /** Whether the connection stays open after the response. */
  readonly keepAlive: boolean;
}

/** Reason phrases for common statuses (the phrase is informative only, RFC 9112 §4). */
const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Payload Too Large', 417: 'Expectation Failed',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** Fields the serializer decides itself: given values are dropped. */
const OWNED = new Set(['connection', 'transfer-encoding', 'keep-alive']);

/**
 * Serializes a response head for `ctx` (see the module comment). Throws
 * {@link InvalidResponseError} on a status outside 100–999 or a field that would split the response.
 */
export function serializeResponseHead(status: number, headers: ResponseHeaders, ctx: ResponseContext, reason?: string): SerializedHead {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new InvalidResponseError(`status ${status}`);
  const phrase = reason ?? REASONS[status] ?? '';
  if (BAD_FIELD_VALUE.test(phrase)) throw new InvalidResponseError('reason phrase');
  let head = `HTTP/1.1 ${status} ${phrase}\r\n`;
  let contentLength = -1;
  let connectionClose = false;
  const add = (name: string, value: string): void => {
    if (!TOKEN.test(name)) throw new InvalidResponseError(`header name ${JSON.stringify(name)}`);
    if (BAD_FIELD_VALUE.test(value)) throw new InvalidResponseError(`value of ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) throw new InvalidResponseError('content-length');
      contentLength = Number(value);
    } else if (lower === 'connection') {
      if (value.toLowerCase().split(',').some((t) => t.trim() === 'close')) connectionClose = true;
      return;
    }
    if (OWNED.has(lower)) return;
    head += `${name}: ${value}\r\n`;
  };
  if (Array.isArray(headers)) {
    const flat = headers as readonly string[];
    for (let i = 0; i + 1 < flat.length; i += 2) add(flat[i]!, flat[i + 1]!);
  } else {
    for (const [name, v] of Object.entries(headers as Record<string, string | number | readonly string[] | undefined>)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v as readonly string[]) add(name, one);
      else add(name, String(v));
    }
  }
  const interim = status < 200;
  const bodyless = interim || status === 204 || status === 304 || ctx.method === 'HEAD';
  let keepAlive = ctx.keepAlive && !connectionClose;
  let framing: BodyFraming;
  if (bodyless) framing = 'none';
  else if (contentLength >= 0) framing = contentLength === 0 ? 'none' : 'length';
  else if (ctx.versionMinor === 1) {
    framing = 'chunked';
    head += 'transfer-encoding: chunked\r\n';
  } else {
    framing = 'close';
    keepAlive = false;
  }
  if (!interim) {
    if (!keepAlive) head += 'connection: close\r\n';
    else if (ctx.versionMinor === 0) head += 'connection: keep-alive\r\n';
  }
  return { head: `${head}\r\n`, framing, contentLength: framing === 'length' ? contentLength : -1, keepAlive: interim ? ctx.keepAlive : keepAlive };
}

/** The chunk-size line of a chunk of `length` bytes (no chunk for 0: that is the last chunk). */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

/** The last chunk with an empty trailer section. */
export const LAST_CHUNK = '0\r\n\r\n';

/** A whole local reply that closes the connection (text/plain body), for refusals outside a request. */
export function serializeLocalReply(status: number, body: string, reason?: string, extra: readonly string[] = []): string {
  const { head } = serializeResponseHead(status, ['content-type', 'text/plain', 'content-length', String(Buffer.byteLength(body)), ...extra], { method: 'GET', versionMinor: 1, keepAlive: false }, reason);
  return head + body;
}
