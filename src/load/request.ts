/**
 * The one request a load run repeats, serialized once into bytes: request line, Host (from the
 * URL unless a `-H 'Host: …'` overrides it), User-Agent, the user's headers, Content-Length when
 * there is a payload, and `Connection: close` when keep-alive is off. Header names and values are
 * validated so a flag can never inject extra lines or break framing.
 */
import type { LoadTarget } from './target.js';
import { WeftError } from '../util/weft-error.js';

/** A header flag that cannot be sent. Stable code `LOAD_BAD_HEADER`. */
export class HeaderError extends WeftError {
  /** Stable error code. */
  readonly code = 'LOAD_BAD_HEADER';
  constructor(message: string) {
    super(message);
    this.name = 'HeaderError';
  }
}

/** What to send. */
export interface RequestSpec {
  readonly target: LoadTarget;
  /** Method; defaults to POST when there is a payload, GET otherwise (as fortio). */
  readonly method?: string;
  /** `Name: value` strings, as given to `-H`. */
  readonly headers?: readonly string[];
  readonly payload?: Uint8Array;
  /** When false, every request asks for `Connection: close`. */
  readonly keepAlive?: boolean;
  /** Default User-Agent (a user header replaces it). */
  readonly userAgent?: string;
}

/** A serialized request. */
export interface BuiltRequest {
  readonly method: string;
  /** The full request: head and payload. */
  readonly bytes: Buffer;
  /** Bytes of the head alone. */
  readonly headBytes: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, space and tab; never CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/** Splits and validates one `-H` value (`Name: value`). Throws {@link HeaderError}. */
export function parseHeader(text: string): readonly [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new HeaderError(`header ${JSON.stringify(text)} is not "Name: value"`);
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new HeaderError(`invalid header name ${JSON.stringify(name)}`);
  if (!FIELD_VALUE.test(value)) throw new HeaderError(`header ${name} has a value with control characters`);
  if (FRAMING.has(name.toLowerCase())) throw new HeaderError(`header ${name} is set by weft load from the payload and cannot be given`);
  return [name, value];
}

/** Serializes the request. Throws {@link HeaderError} for bad headers or method. */
export function buildRequest(spec: RequestSpec): BuiltRequest {
  const payload = spec.payload && spec.payload.length > 0 ? spec.payload : undefined;
  const method = spec.method ?? (payload ? 'POST' : 'GET');
  if (!TOKEN.test(method)) throw new HeaderError(`invalid method ${JSON.stringify(method)}`);
  const user = (spec.headers ?? []).map(parseHeader);
  const has = (n: string) => user.some(([k]) => k.toLowerCase() === n);
  const lines = [`${method} ${spec.target.requestTarget} HTTP/1.1`];
  if (!has('host')) lines.push(`Host: ${spec.target.authority}`);
  if (!has('user-agent')) lines.push(`User-Agent: ${spec.userAgent ?? 'weft-load'}`);
  if (spec.target.proxyAuthorization !== undefined && !has('proxy-authorization')) lines.push(`Proxy-Authorization: ${spec.target.proxyAuthorization}`);
  for (const [k, v] of user) lines.push(`${k}: ${v}`);
  if (payload) lines.push(`Content-Length: ${payload.length}`);
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') lines.push('Content-Length: 0');
  if (spec.keepAlive === false && !has('connection')) lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return { method, bytes: payload ? Buffer.concat([head, payload]) : head, headBytes: head.length };
}
