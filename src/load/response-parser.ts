/**
 * An incremental HTTP/1.1 response parser for the load client: one response at a time on a
 * keep-alive connection (no pipelining). It frames bodies the way RFC 9112 §6.3 says — no body
 * for HEAD, 1xx, 204 and 304; chunked when Transfer-Encoding ends in chunked; Content-Length;
 * otherwise until the connection closes — and counts bytes, not content: the load generator
 * needs status, header size and total size, never the body itself. Malformed input (bad status
 * line, header syntax, conflicting Content-Length, bad chunk sizes, oversized heads) is an error,
 * never a guess.
 */
import { WeftError } from '../util/weft-error.js';

/** One complete response. */
export interface ParsedResponse {
  /** Status code (the final one; 1xx interim responses are skipped). */
  readonly status: number;
  /** Bytes of the status line and headers, including the blank line that ends them. */
  readonly headerBytes: number;
  /** Bytes on the wire for the whole response: interim responses, head, body and chunk framing. */
  readonly totalBytes: number;
  /** Body bytes after removing chunk framing. */
  readonly bodyBytes: number;
  /** Whether the connection may carry another request after this response. */
  readonly keepAlive: boolean;
}

/** A response that breaks HTTP/1.1 framing; the connection must be closed. Stable code `LOAD_BAD_RESPONSE`. */
export class ResponseParseError extends WeftError {
  /** Stable error code. */
  readonly code = 'LOAD_BAD_RESPONSE';
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

/** Limits of a {@link ResponseParser}. */
export interface ResponseParserLimits {
  /** Largest status line + headers (default 64 KiB). */
  readonly maxHeaderBytes?: number;
  /** Longest chunk-size or trailer line (default 8 KiB). */
  readonly maxLineBytes?: number;
}

type State = 'idle' | 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'done';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parses successive responses on one connection (see the module comment). */
export class ResponseParser {
  private readonly maxHeaderBytes: number;
  private readonly maxLineBytes: number;
  private state: State = 'idle';
  private headRequest = false;
  private pending: Buffer | null = null;
  private line = '';
  private remaining = 0;
  private crlfSeen = 0;
  private status = 0;
  private headerBytes = 0;
  private totalBytes = 0;
  private bodyBytes = 0;
  private keepAlive = true;
  /** Bytes received after the end of the last complete response (a protocol violation when > 0). */
  extraBytes = 0;

  constructor(limits: ResponseParserLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 65536;
    this.maxLineBytes = limits.maxLineBytes ?? 8192;
  }

  /** True once any byte of the current response has arrived. */
  get started(): boolean {
    return this.totalBytes > 0 || this.pending !== null;
  }

  /** Prepares for the response to a new request; `headRequest` when the method was HEAD (no body follows). */
  begin(headRequest: boolean): void {
    this.state = 'head';
    this.headRequest = headRequest;
    this.pending = null;
    this.line = '';
    this.status = 0;
    this.headerBytes = 0;
    this.totalBytes = 0;
    this.bodyBytes = 0;
    this.keepAlive = true;
    this.extraBytes = 0;
  }

  /** Consumes bytes; returns the response once complete. Throws {@link ResponseParseError}. */
  feed(chunk: Buffer): ParsedResponse | undefined {
    if (this.state === 'idle' || this.state === 'done') {
      this.extraBytes += chunk.length;
      return undefined;
    }
    let buf = chunk;
    let pos = 0;
    while (pos < buf.length || this.state === 'done') {
      switch (this.state) {
        case 'head': {
          const joined = this.pending ? Buffer.concat([this.pending, buf.subarray(pos)]) : buf.subarray(pos);
          const from = this.pending ? Math.max(0, this.pending.length - 3) : 0;
          const end = joined.indexOf(CRLFCRLF, from);
          if (end < 0) {
            if (joined.length > this.maxHeaderBytes) throw new ResponseParseError(`response head larger than ${this.maxHeaderBytes} bytes`);
            this.pending = Buffer.from(joined);
            return undefined;
          }
          const headLen = end + 4;
          if (headLen > this.maxHeaderBytes) throw new ResponseParseError(`response head larger than ${this.maxHeaderBytes} bytes`);
          this.pending = null;
          this.totalBytes += headLen;
          this.parseHead(joined.toString('latin1', 0, end));
          buf = joined;
          pos = headLen;
          if (this.state === 'head') this.headerBytes = 0; // an interim 1xx response; the final one follows
          else this.headerBytes = headLen;
          break;
        }
        case 'length': {
          const n = Math.min(this.remaining, buf.length - pos);
          this.consumeBody(n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'done';
          break;
        }
        case 'close': {
          this.consumeBody(buf.length - pos);
          pos = buf.length;
          break;
        }
        case 'chunk-size': {
          const next = this.readLine(buf, pos);
          if (next < 0) return undefined;
          this.totalBytes += next - pos;
          pos = next;
          const size = parseChunkSize(this.line);
          this.line = '';
          if (size === 0) this.state = 'trailers';
          else {
            this.remaining = size;
            this.state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, buf.length - pos);
          this.consumeBody(n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = 'chunk-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'chunk-crlf': {
          const expected = this.crlfSeen === 0 ? 13 : 10;
          if (buf[pos] !== expected) throw new ResponseParseError('chunk data not followed by CRLF');
          pos++;
          this.totalBytes++;
          if (++this.crlfSeen === 2) this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const next = this.readLine(buf, pos);
          if (next < 0) return undefined;
          this.totalBytes += next - pos;
          pos = next;
          const trailer = this.line;
          this.line = '';
          if (trailer === '') this.state = 'done';
          else if (trailer.indexOf(':') <= 0 || !TOKEN.test(trailer.slice(0, trailer.indexOf(':')))) throw new ResponseParseError('malformed trailer field');
          break;
        }
        case 'done': {
          this.extraBytes = buf.length - pos;
          this.state = 'idle';
          return this.result();
        }
        default:
          return undefined;
      }
    }
    return undefined;
  }

  /** The peer closed the connection: returns the response if its body ran until close, else undefined (truncated). */
  end(): ParsedResponse | undefined {
    if (this.state === 'close') {
      this.state = 'idle';
      return this.result();
    }
    return undefined;
  }

  private result(): ParsedResponse {
    return { status: this.status, headerBytes: this.headerBytes, totalBytes: this.totalBytes, bodyBytes: this.bodyBytes, keepAlive: this.keepAlive };
  }

  private consumeBody(n: number): void {
    this.bodyBytes += n;
    this.totalBytes += n;
  }

  /** Appends bytes up to and including LF to `this.line` (without CRLF); returns the position after LF, or -1 if the line continues. */
  private readLine(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(10, pos);
    const stop = nl < 0 ? buf.length : nl;
    this.line += buf.toString('latin1', pos, stop);
    if (this.line.length > this.maxLineBytes) throw new ResponseParseError(`line longer than ${this.maxLineBytes} bytes in chunked body`);
    if (nl < 0) {
      this.totalBytes += buf.length - pos;
      return -1;
    }
    if (!this.line.endsWith('\r')) throw new ResponseParseError('bare LF in chunked framing');
    this.line = this.line.slice(0, -1);
    return nl + 1;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ResponseParseError(`malformed status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const http10 = m[1] === '0';
    const status = Number(m[2]);
    let contentLength: number | undefined;
    let chunked = false;
    let hasTransferEncoding = false;
    let close = false;
    let keepAliveToken = false;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const colon = l.indexOf(':');
      if (colon <= 0) throw new ResponseParseError(`malformed header line ${JSON.stringify(l.slice(0, 80))}`);
      const name = l.slice(0, colon);
      if (!TOKEN.test(name)) throw new ResponseParseError(`invalid header name ${JSON.stringify(name.slice(0, 80))}`);
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        const value = l.slice(colon + 1).trim();
        if (!/^\d{1,15}$/.test(value)) throw new ResponseParseError(`invalid Content-Length ${JSON.stringify(value)}`);
        const n = Number(value);
        if (contentLength !== undefined && contentLength !== n) throw new ResponseParseError('conflicting Content-Length headers');
        contentLength = n;
      } else if (lower === 'transfer-encoding') {
        hasTransferEncoding = true;
        const codings = l.slice(colon + 1).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
        chunked = codings[codings.length - 1] === 'chunked';
      } else if (lower === 'connection') {
        for (const t of l.slice(colon + 1).split(',')) {
          const token = t.trim().toLowerCase();
          if (token === 'close') close = true;
          else if (token === 'keep-alive') keepAliveToken = true;
        }
      }
    }
    if (status < 200) {
      if (status === 101) throw new ResponseParseError('unexpected 101 Switching Protocols');
      this.state = 'head'; // interim response: keep reading
      return;
    }
    this.status = status;
    this.keepAlive = !close && (!http10 || keepAliveToken);
    if (this.headRequest || status === 204 || status === 304) this.state = 'done';
    else if (hasTransferEncoding) {
      // Transfer-Encoding overrides Content-Length; a message carrying both must not be reused.
      if (contentLength !== undefined) this.keepAlive = false;
      if (chunked) this.state = 'chunk-size';
      else {
        this.state = 'close';
        this.keepAlive = false;
      }
    } else if (contentLength !== undefined) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? 'done' : 'length';
    } else {
      this.state = 'close';
      this.keepAlive = false;
    }
  }
}

function parseChunkSize(line: string): number {
  const semi = line.indexOf(';');
  const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
  if (!/^[0-9a-fA-F]{1,13}$/.test(hex)) throw new ResponseParseError(`invalid chunk size ${JSON.stringify(hex.slice(0, 20))}`);
  return parseInt(hex, 16);
}
