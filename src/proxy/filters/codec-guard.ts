/**
 * The hardened HTTP/1.1 entry. Node's llhttp parser already rejects (checked with raw sockets, see
 * `test/security/authz/codec.test.ts`): Content-Length together with Transfer-Encoding, duplicate
 * or non-numeric Content-Length, obs-fold, bare CR or LF, invalid header names and control
 * characters in values, invalid methods, versions other than HTTP/x.y, invalid request-target
 * characters, oversized heads (431), and slow heads (`headersTimeout`). This module adds what it
 * lets through, checked on the parsed head before any filter:
 * - Transfer-Encoding other than exactly `chunked` (e.g. `identity`) → 400;
 * - more than one Host header → 400 (RFC 9112 §3.2);
 * - an HTTP version other than 1.0 / 1.1 on an HTTP/1 connection (`HTTP/2.0`) → 400;
 * - more than {@link CodecLimits.maxHeadersCount} header fields → 431 (Envoy's default 100);
 * - a request-target longer than {@link CodecLimits.maxUriBytes} → 414.
 * And it answers llhttp's own errors as local replies with Envoy-style details (400, 431, 408),
 * closing that connection only; the listener keeps serving others.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { LocalReply, type ProxyError } from '../local-reply.js';

/** Process-wide codec limits (tests may lower them with {@link setCodecLimits}). */
export interface CodecLimits {
  /** Header fields per request (Envoy `max_headers_count` default 100). */
  readonly maxHeadersCount: number;
  /** Request-target length in bytes. */
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
export function checkRequestHead(req: IncomingMessage): ProxyError | undefined {
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeadersCount) return LocalReply.tooManyHeaders();
  if ((req.url ?? '').length > limits.maxUriBytes) return LocalReply.uriTooLong();
  // HTTP/2 streams (src/proxy/h2; nghttp2 validated their framing) carry `stream` and are version 2.0.
  const h2 = req.httpVersionMajor === 2 && (req as IncomingMessage & { stream?: unknown }).stream !== undefined;
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

/** The header-count setting to give a Node server so that {@link checkRequestHead} can see overflows. */
export function nodeMaxHeadersCount(): number {
  return limits.maxHeadersCount + 1;
}

type ParserError = Error & { code?: string };

function replyFor(err: ParserError): ProxyError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return LocalReply.headersTooLarge();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return LocalReply.requestHeadersTimeout();
    default:
      return LocalReply.codecError((err.code ?? 'parse_error').toLowerCase().replace(/^hpe_/, ''));
  }
}

/** Renders a local reply as raw HTTP/1.1 for a connection whose request never became a stream. */
export function rawLocalReply(err: ProxyError): string {
  const body = err.message;
  const reason = ({ 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' } as Record<number, string>)[err.status] ?? 'Error';
  return `HTTP/1.1 ${err.status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** Observer of codec rejections (stats, logs). */
export type CodecRejectionSink = (err: ProxyError, parserCode: string | undefined) => void;

/**
 * Installs the hardened parser-error handling on a Node server: each llhttp error is answered with
 * a local reply (unless a response is already under way) and that connection is closed.
 */
export function hardenServer(server: Server, onReject?: CodecRejectionSink): void {
  server.maxHeadersCount = nodeMaxHeadersCount();
  server.on('clientError', (err: ParserError, socket: Socket) => {
    const reply = replyFor(err);
    onReject?.(reply, err.code);
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (socket.writable && !busy && err.code !== 'ECONNRESET') socket.end(rawLocalReply(reply));
    else socket.destroy();
  });
}
