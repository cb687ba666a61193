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
 * - a request-target longer than {@link CodecLimits.maxUriBytes} → 431, as Envoy answers a URL that
 *   takes the request head over `max_request_headers_kb` (Envoy has no 414; see LocalReply.uriTooLong).
 * And it answers llhttp's own errors as local replies with Envoy-style details (400, 431, 408),
 * closing that connection only; the listener keeps serving others.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { DownstreamRequest } from '../http/downstream.js';
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
 * a local reply and that connection is closed. Pipelined requests parsed before the bad one keep
 * their responses: Envoy's HTTP/1 codec dispatches one request at a time and only parses the next
 * once the current response is done, so a client sees every earlier response, complete and in
 * order, then the error reply, then the close. Node parses ahead, so the reply waits here until
 * the responses of the earlier requests on that connection have finished (the socket stops being
 * read meanwhile); only a response already cut short leaves nothing to append to.
 */
export function hardenServer(server: Server, onReject?: CodecRejectionSink): void {
  server.maxHeadersCount = nodeMaxHeadersCount();
  // Responses of requests on each connection that have not finished yet, and what to do when none is left.
  const outstanding = new WeakMap<Socket, number>();
  const whenIdle = new WeakMap<Socket, () => void>();
  const rejected = new WeakSet<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    outstanding.set(socket, (outstanding.get(socket) ?? 0) + 1);
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      const left = (outstanding.get(socket) ?? 1) - 1;
      outstanding.set(socket, left);
      if (left === 0) whenIdle.get(socket)?.();
    };
    res.once('finish', done);
    res.once('close', done);
  });
  server.on('clientError', (err: ParserError, socket: Socket) => {
    // The parser reports its error again for any later bytes: answer once.
    if (rejected.has(socket)) return;
    rejected.add(socket);
    const reply = replyFor(err);
    onReject?.(reply, err.code);
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if ((outstanding.get(socket) ?? 0) > 0) {
      socket.pause();
      whenIdle.set(socket, () => {
        whenIdle.delete(socket);
        if (socket.writable) socket.end(rawLocalReply(reply));
        else socket.destroy();
      });
      return;
    }
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!busy) socket.end(rawLocalReply(reply));
    else socket.destroy();
  });
}
