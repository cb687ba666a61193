/**
 * The hardened HTTP/1.1 entry. HTTP/1.x requests are parsed by Weft's own strict codec
 * (src/proxy/h1/request-parser.ts, held to llhttp by a differential fuzz test), which refuses
 * before any filter: Content-Length together with Transfer-Encoding, duplicate or non-numeric
 * Content-Length, Transfer-Encoding other than exactly `chunked`, obs-fold, bare CR or LF, invalid
 * header names and control characters in values, invalid or unknown methods, versions other than
 * HTTP/1.0 and 1.1, more than one Host (RFC 9112 §3.2), invalid request-target characters, more than
 * {@link CodecLimits.maxHeadersCount} fields (431, Envoy's `max_headers_count`), a request-target
 * longer than {@link CodecLimits.maxUriBytes} (431, as Envoy answers a URL that takes the head over
 * `max_request_headers_kb`; Envoy has no 414, see LocalReply.uriTooLong), oversized heads (431) and
 * slow heads (408). This module gives the codec its limits and its local replies
 * ({@link codecLocalReply}: the bodies and Envoy-style details of src/proxy/local-reply.ts), and
 * checks on a parsed head what the codec did not see: HTTP/2 streams (nghttp2 validated their
 * framing) get the count and URI limits in {@link checkRequestHead}. A refusal closes that
 * connection only; the listener keeps serving others, and requests pipelined before the bad one
 * get their responses first (the codec dispatches one request at a time, as Envoy's HTTP/1 codec).
 */
import type { DownstreamRequest } from '../http/downstream.js';
import type { H1CodecError } from '../h1/codec-error.js';
import { H1IncomingRequest } from '../h1/downstream-request.js';
import { LocalReply, type ProxyError } from '../http/local-reply.js';

/** Process-wide codec limits (tests may lower them with {@link setCodecLimits}). */
export interface CodecLimits {
  /** Header fields per request (Envoy `max_headers_count` default 100). */
  readonly maxHeadersCount: number;
  /** Request-target length in bytes (over it: 431, as Envoy; Node's head limit, 16 KiB, counts it too). */
  readonly maxUriBytes: number;
}

let limits: CodecLimits = { maxHeadersCount: 100, maxUriBytes: 8192 };

/** The current limits. */
export function codecLimits(): CodecLimits {
  return limits;
}

/** Replaces some limits (returns the previous ones). */
export function setCodecLimits(next: Partial<CodecLimits>): CodecLimits {
  const prev = limits;
  limits = { ...limits, ...next };
  return prev;
}

/** Checks a parsed request head; returns the local reply for a request that must be refused. */
export function checkRequestHead(req: DownstreamRequest): ProxyError | undefined {
  // The HTTP/1 codec enforced all of this before the request existed (module comment): not checked twice.
  if (req instanceof H1IncomingRequest) return undefined;
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeadersCount) return LocalReply.tooManyHeaders();
  if ((req.url ?? '').length > limits.maxUriBytes) return LocalReply.uriTooLong();
  // HTTP/2 streams (src/proxy/h2; nghttp2 validated their framing) carry `stream` and are version 2.0.
  const h2 = req.httpVersionMajor === 2 && (req as DownstreamRequest & { stream?: unknown }).stream !== undefined;
  if (!h2 && (req.httpVersionMajor !== 1 || (req.httpVersionMinor !== 0 && req.httpVersionMinor !== 1))) return LocalReply.codecError('invalid_http_version');
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding' && raw[i + 1]!.trim().toLowerCase() !== 'chunked') {
      return LocalReply.codecError('invalid_transfer_encoding');
    }
  }
  if (hosts > 1) return LocalReply.codecError('duplicate_host');
  return undefined;
}

/**
 * The local reply for a request the HTTP/1 codec refused: the same statuses, bodies and details as
 * the proxy's other local replies (local-reply.ts), sent with `Connection: close`. The codec's
 * own failure names become the `http1.codec_error{…}` detail, as Envoy's HTTP/1 codec reports its
 * parser's error there (source/common/http/http1/codec_impl.cc, `sendProtocolError`).
 */
export function codecReplyFor(err: H1CodecError): ProxyError {
  switch (err.failure) {
    case 'HEADERS_TOO_LARGE':
      return LocalReply.headersTooLarge();
    case 'TOO_MANY_HEADERS':
      return LocalReply.tooManyHeaders();
    case 'URI_TOO_LONG':
      return LocalReply.uriTooLong();
    case 'HEADERS_TIMEOUT':
      return LocalReply.requestHeadersTimeout();
    default: {
      const m = /^http1\.codec_error\{(.+)\}$/.exec(err.details);
      return LocalReply.codecError(m !== null ? m[1]! : err.failure.toLowerCase());
    }
  }
}

/**
 * Status and body of the codec's local reply for `err` (the `localReply` hook of
 * h1/server-connection.ts). The status is the local reply's: an unknown method (the codec's 501,
 * RFC 9110 §9.1) is answered 400 here, as Envoy's HTTP/1 parser refuses a method outside its list
 * as HPE_INVALID_METHOD with 400 (source/common/http/http1/balsa_parser.cc `isMethodValid`), and as
 * node:http (llhttp) did on this listener before.
 */
export function codecLocalReply(err: H1CodecError): { readonly body: string; readonly status: number } {
  const reply = codecReplyFor(err);
  return { body: reply.message, status: reply.status };
}
