/**
 * A strict, incremental HTTP/1.1 response parser for the proxy's upstream connections (one
 * response at a time; requests are never pipelined). It frames bodies as RFC 9112 §6.3 says: no
 * body for HEAD, 1xx, 204 and 304; chunked when Transfer-Encoding's last coding is `chunked`;
 * Content-Length; otherwise until the connection closes. Interim 1xx responses are skipped (101 is
 * refused: this path never asks for an upgrade). It is as strict as llhttp where a proxy must be
 * (response splitting and smuggling): Transfer-Encoding together with Content-Length, differing or
 * malformed Content-Length values, obs-fold, bare CR or LF, control characters, a header name that
 * is not a token, oversized heads, too many headers, and bad chunk framing are all errors, never
 * guesses. Headers are collected as node:http does (lower-case names; `set-cookie` as an array;
 * duplicates of single-value headers dropped; others joined with `, `), so the router treats a
 * response from here exactly like one from node:http — except that connection-level headers
 * (`Connection`, `Keep-Alive`, `TE`, `Upgrade`, `Proxy-Connection`, and those `Connection` names)
 * are interpreted here and left out, since they never cross a proxy.
 *
 * The parser calls its {@link ResponseParserSink} synchronously from {@link H1ResponseParser.execute}:
 * `onHead` once per final response, `onBody` with zero-copy slices of the input, `onComplete` at the
 * end of the body (the parser is then ready for the next response).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WeftError } from '../../util/weft-error.js';
import { addHeader } from './header-map.js';

/** Error code of a response that breaks HTTP/1.1 framing (the connection must be closed). */
export const UPSTREAM_PROTOCOL_ERROR_CODE = 'WEFT_UPSTREAM_PROTOCOL_ERROR';

/** A malformed upstream response; stable code {@link UPSTREAM_PROTOCOL_ERROR_CODE}. */
export class UpstreamProtocolError extends WeftError {
  /** Stable error code. */
  readonly code = UPSTREAM_PROTOCOL_ERROR_CODE;
  constructor(message: string) {
    super(`upstream protocol error: ${message}`);
    this.name = 'UpstreamProtocolError';
  }
}

/** What the parser reports, synchronously. */
export interface ResponseParserSink {
  /** The head of the final response; `keepAlive` is whether the connection may be reused after it. */
  onHead(status: number, headers: IncomingHttpHeaders, keepAlive: boolean): void;
  /** A piece of the (de-chunked) body: a slice of the input, valid as long as the caller keeps it. */
  onBody(chunk: Buffer): void;
  /** The response is complete. */
  onComplete(): void;
}

/** Limits of a parser. */
export interface ResponseParserLimits {
  /** Largest status line + headers in bytes (default 60 KiB, Envoy's default). */
  readonly maxHeadBytes?: number;
  /** Most header lines (default 100, Envoy's default). */
  readonly maxHeaders?: number;
}

const enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Failed,
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

const STATUS_LINE = /^HTTP\/1\.([01]) (\d\d\d)(?: [^\x00-\x08\x0a-\x1f\x7f]*)?$/;
const DIGITS = /^\d{1,15}$/;
const HEX = /^[0-9A-Fa-f]{1,15}$/;
const CR = 13;
const LF = 10;

/** Parses successive responses on one connection (see the module comment). */
export class H1ResponseParser {
  private state = State.Idle;
  private readonly maxHeadBytes: number;
  private readonly maxHeaders: number;
  /** Head bytes received so far (only while a head spans several reads). */
  private headParts: Buffer[] = [];
  private headLength = 0;
  private headRequest = false;
  private remaining = 0;
  /** Pending partial line of chunk framing (size line or trailer line). */
  private line = '';

  constructor(private readonly sink: ResponseParserSink, limits: ResponseParserLimits = {}) {
    this.maxHeadBytes = limits.maxHeadBytes ?? 60 * 1024;
    this.maxHeaders = limits.maxHeaders ?? 100;
  }

  /** Expects the response to a new request (`head`: the request was HEAD, so no body follows). */
  expect(head: boolean): void {
    if (this.state !== State.Idle) throw new UpstreamProtocolError('a response is already in progress');
    this.headRequest = head;
    this.state = State.Head;
    this.headParts = [];
    this.headLength = 0;
  }

  /** True while a response is expected or in progress. */
  get busy(): boolean {
    return this.state !== State.Idle && this.state !== State.Failed;
  }

  /** True when the body runs until the connection closes (the close completes it). */
  get readsUntilClose(): boolean {
    return this.state === State.UntilClose;
  }

  /**
   * Feeds bytes. Returns how many bytes belong to the current response: bytes after a complete
   * response are left to the caller (unsolicited data: the connection must not be reused).
   * Throws {@link UpstreamProtocolError} on malformed input (the parser is then failed).
   */
  execute(data: Buffer): number {
    let pos = 0;
    const end = data.length;
    try {
      while (pos < end) {
        switch (this.state) {
          case State.Idle:
            return pos;
          case State.Head:
            pos = this.readHead(data, pos);
            break;
          case State.Length: {
            const n = Math.min(this.remaining, end - pos);
            this.remaining -= n;
            const chunk = data.subarray(pos, pos + n);
            pos += n;
            this.sink.onBody(chunk);
            if (this.remaining === 0) this.complete();
            break;
          }
          case State.ChunkSize:
          case State.Trailers:
            pos = this.readLine(data, pos);
            break;
          case State.ChunkData: {
            const n = Math.min(this.remaining, end - pos);
            this.remaining -= n;
            const chunk = data.subarray(pos, pos + n);
            pos += n;
            this.sink.onBody(chunk);
            if (this.remaining === 0) {
              this.state = State.ChunkDataEnd;
              this.remaining = 2;
            }
            break;
          }
          case State.ChunkDataEnd: {
            const b = data[pos]!;
            if ((this.remaining === 2 && b !== CR) || (this.remaining === 1 && b !== LF)) throw new UpstreamProtocolError('chunk data not followed by CRLF');
            pos++;
            if (--this.remaining === 0) this.state = State.ChunkSize;
            break;
          }
          case State.UntilClose:
            this.sink.onBody(pos === 0 ? data : data.subarray(pos));
            return end;
          case State.Failed:
            throw new UpstreamProtocolError('data after a protocol error');
        }
      }
    } catch (err) {
      this.state = State.Failed;
      throw err;
    }
    return pos;
  }

  /**
   * The connection closed: completes a body that runs until close; returns false when a response
   * was cut short (the caller reports a reset).
   */
  finish(): boolean {
    if (this.state === State.UntilClose) {
      this.complete();
      return true;
    }
    return this.state === State.Idle;
  }

  private complete(): void {
    this.state = State.Idle;
    this.sink.onComplete();
  }

  private readHead(data: Buffer, pos: number): number {
    const prev = this.headLength;
    if (prev > 0) {
      // The head spans reads (rare): search the joined bytes, from just before the new ones.
      const buf = Buffer.concat([...this.headParts, data.subarray(pos)]);
      const i = buf.indexOf('\r\n\r\n', Math.max(0, prev - 3), 'latin1');
      if (i < 0) return this.keepPartialHead(buf, data.length);
      if (i + 4 > this.maxHeadBytes) throw new UpstreamProtocolError('response head too large');
      this.headParts = [];
      this.headLength = 0;
      this.onHeadText(buf.toString('latin1', 0, i));
      return pos + (i + 4 - prev);
    }
    const i = data.indexOf('\r\n\r\n', pos, 'latin1');
    if (i < 0) return this.keepPartialHead(data.subarray(pos), data.length);
    if (i + 4 - pos > this.maxHeadBytes) throw new UpstreamProtocolError('response head too large');
    this.onHeadText(data.toString('latin1', pos, i));
    return i + 4;
  }

  private keepPartialHead(part: Buffer, consumed: number): number {
    if (part.length > this.maxHeadBytes) throw new UpstreamProtocolError('response head too large');
    this.headParts = [part];
    this.headLength = part.length;
    return consumed;
  }

  private onHeadText(head: string): void {
    const lines = head.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (m === null) throw new UpstreamProtocolError('malformed status line');
    const minor = m[1] === '1';
    const status = Number(m[2]);
    if (status < 100) throw new UpstreamProtocolError('malformed status code');
    if (lines.length - 1 > this.maxHeaders) throw new UpstreamProtocolError('too many response headers');
    const headers: IncomingHttpHeaders = {};
    let contentLength = -1;
    let te: string | undefined;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new UpstreamProtocolError(line.length === 0 ? 'empty header line' : line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9 ? 'obsolete line folding' : 'header line without a colon');
      const rawName = line.slice(0, colon);
      if (!TOKEN.test(rawName)) throw new UpstreamProtocolError('invalid header name');
      // Lines were split at CRLF: a CR or LF left in one is bare.
      if (BAD_VALUE.test(line)) throw new UpstreamProtocolError('invalid character in the response head');
      const name = rawName.toLowerCase();
      const value = trimOws(line, colon + 1);
      if (name === 'content-length') {
        if (!DIGITS.test(value)) throw new UpstreamProtocolError('invalid content-length');
        const n = Number(value);
        if (contentLength >= 0 && n !== contentLength) throw new UpstreamProtocolError('conflicting content-length values');
        contentLength = n;
      } else if (name === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`;
      else if (name === 'connection') connection = connection === '' ? value.toLowerCase() : `${connection}, ${value.toLowerCase()}`;
      if (!isHopByHop(name)) addHeader(headers, name, value);
    }
    if (connection !== '' && connection !== 'keep-alive' && connection !== 'close') dropNamedByConnection(headers, connection);
    if (status < 200) {
      if (status === 101) throw new UpstreamProtocolError('unexpected 101 Switching Protocols');
      // Interim response: the final one follows.
      this.state = State.Head;
      return;
    }
    let keepAlive = minor ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    const bodyless = this.headRequest || status === 204 || status === 304;
    if (te !== undefined && contentLength >= 0) throw new UpstreamProtocolError('both transfer-encoding and content-length');
    let next: State;
    if (bodyless) next = State.Idle;
    else if (te !== undefined) {
      if (!minor) throw new UpstreamProtocolError('transfer-encoding in an HTTP/1.0 response');
      if (lastCoding(te) === 'chunked') next = State.ChunkSize;
      else {
        next = State.UntilClose;
        keepAlive = false;
      }
    } else if (contentLength >= 0) next = contentLength === 0 ? State.Idle : State.Length;
    else {
      next = State.UntilClose;
      keepAlive = false;
    }
    this.remaining = contentLength;
    this.line = '';
    this.state = next;
    this.sink.onHead(status, headers, keepAlive);
    if (next === State.Idle) this.complete();
  }

  /** Reads one CRLF-terminated line of chunk framing (size line or trailer). */
  private readLine(data: Buffer, pos: number): number {
    const i = data.indexOf(LF, pos);
    if (i < 0) {
      this.line += data.toString('latin1', pos);
      if (this.line.length > 8192) throw new UpstreamProtocolError('chunk framing line too long');
      return data.length;
    }
    const text = this.line + data.toString('latin1', pos, i);
    this.line = '';
    if (text.length > 8192) throw new UpstreamProtocolError('chunk framing line too long');
    if (text.charCodeAt(text.length - 1) !== CR) throw new UpstreamProtocolError('bare LF in chunk framing');
    const content = text.slice(0, -1);
    if (this.state === State.ChunkSize) this.onChunkSize(content);
    else if (content === '') this.complete();
    else if (content.indexOf(':') <= 0 || BAD_VALUE.test(content)) throw new UpstreamProtocolError('malformed trailer');
    return i + 1;
  }

  private onChunkSize(line: string): void {
    const semi = line.indexOf(';');
    const size = (semi >= 0 ? line.slice(0, semi) : line).replace(/[ \t]+$/, '');
    if (!HEX.test(size) || BAD_VALUE.test(line)) throw new UpstreamProtocolError('invalid chunk size');
    const n = parseInt(size, 16);
    if (n === 0) this.state = State.Trailers;
    else {
      this.remaining = n;
      this.state = State.ChunkData;
    }
  }
}

function trimOws(line: string, from: number): string {
  let a = from;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
  return a === from && b === line.length ? line.slice(from) : line.slice(a, b);
}

/** Connection-level headers: they describe this hop only and are not passed on. */
function isHopByHop(name: string): boolean {
  return name === 'connection' || name === 'keep-alive' || name === 'te' || name === 'upgrade' || name === 'proxy-connection';
}

/** Headers named by `Connection` are hop-by-hop too (RFC 9110 §7.6.1), except the framing ones. */
function dropNamedByConnection(headers: IncomingHttpHeaders, connection: string): void {
  for (const t of connection.split(',')) {
    const n = t.trim();
    if (n !== '' && n !== 'content-length' && n !== 'transfer-encoding' && headers[n] !== undefined) delete headers[n];
  }
}

function hasToken(list: string, token: string): boolean {
  if (list === token) return true;
  if (list === '' || list === 'keep-alive' || list === 'close') return false;
  for (const t of list.split(',')) if (t.trim() === token) return true;
  return false;
}

function lastCoding(te: string): string {
  const i = te.lastIndexOf(',');
  return (i >= 0 ? te.slice(i + 1) : te).trim().toLowerCase();
}
