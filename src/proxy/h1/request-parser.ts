/**
 * A strict, incremental HTTP/1.1 request parser (RFC 9112) for the proxy's downstream
 * connections. It is at least as strict as llhttp in strict mode (node:http's parser; the
 * differential fuzz test `fuzz/differential.ts` holds it to that): every request it accepts,
 * llhttp parses identically, and every request llhttp refuses it refuses. On top of llhttp it
 * refuses what codec-guard.ts refuses today and RFC 9112 requires: Transfer-Encoding other than
 * exactly `chunked` (and on HTTP/1.0), more than one Host or none on HTTP/1.1 (§3.2), versions other
 * than 1.0/1.1, a target form that does not fit the method (§3.2), a body on an upgrade or CONNECT.
 *
 * Smuggling: Content-Length with Transfer-Encoding is refused (llhttp strict, RFC 9112 §6.1 allows
 * either refusing or ignoring CL; a proxy must not guess), as are a second Content-Length (even
 * equal), a list or non-digit Content-Length, obs-fold, bare CR or LF anywhere in the head or the
 * chunk framing, NUL and other controls, whitespace before a colon, and chunk sizes over 2^52.
 *
 * One message per {@link H1RequestParser.execute} call: it returns after a message completes, so
 * its owner answers pipelined requests one at a time, in order, as Envoy's HTTP/1 codec does (it
 * parses the next request only once the current response is done). After an upgrade or CONNECT
 * head, or a message with `Connection: close`, it stops: the remaining bytes belong to a tunnel,
 * or to nobody.
 */
import { H1CodecError } from './codec-error.js';
import { BAD_FIELD_VALUE, KNOWN_METHODS, TOKEN, trimOws, validTarget } from './h1-syntax.js';

/** The parsed head of a request. Header names keep the case they were sent in. */
export interface RequestHead {
  readonly method: string;
  /** The request-target as sent (origin, absolute, authority or asterisk form). */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: 0 | 1;
  /** Names and values alternating, as received (values without surrounding whitespace). */
  readonly rawHeaders: readonly string[];
  /** Whether the connection may carry another request after this one (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** CONNECT, or `Connection: upgrade` with an `Upgrade` header: the connection becomes a tunnel after this head. */
  readonly upgrade: boolean;
  /** `Expect: 100-continue` on HTTP/1.1 (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** Body framing: `chunked`, or a length (0: no body). */
  readonly chunked: boolean;
  /** The Content-Length (0 without one; -1 when chunked). */
  readonly contentLength: number;
}

/** What the parser reports, synchronously, from {@link H1RequestParser.execute}. */
export interface RequestParserSink {
  /** A request head passed every check. */
  onHead(head: RequestHead): void;
  /** A piece of the (de-chunked) body: a slice of the input, valid while the caller keeps the input. */
  onBody(chunk: Buffer): void;
  /** Trailer fields of a chunked body (names and values alternating); only when there are some. */
  onTrailers(rawTrailers: readonly string[]): void;
  /** The request is complete (for an upgrade: right after its head). */
  onComplete(): void;
}

/** Limits of a parser (today's node:http listener values by default). */
export interface RequestParserLimits {
  /** Largest request head (request line + fields + CRLFs) in bytes; over it: 431. Default 16 KiB, node:http's. */
  readonly maxHeadBytes?: number;
  /** Most header fields; over it: 431. Default 100 (Envoy's `max_headers_count`). */
  readonly maxHeaders?: number;
  /** Longest request-target; over it: 431, as Envoy. Default 8192. */
  readonly maxUriBytes?: number;
  /** Largest request body; over it: 413. Default: no limit. */
  readonly maxBodyBytes?: number;
}

/** Where the parser is; see {@link H1RequestParser.state}. */
export type RequestParserState = 'idle' | 'head' | 'body' | 'upgraded' | 'closed' | 'failed';

const enum S {
  Start,
  StartLf,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Upgraded,
  Closed,
  Failed,
}

const CR = 13;
const LF = 10;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
/**
 * Anything in a head that a field value may not hold once lines are split at CRLF: controls other
 * than HTAB, DEL, and a CR or LF that is not part of a CRLF. One pass over a clean head replaces
 * a check per value; a head that matches is checked line by line for the precise refusal.
 */
const SUSPICIOUS_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const REQUEST_LINE = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/;
const DIGITS = /^\d{1,15}$/;
/** llhttp refuses an HTAB after a Content-Length or Transfer-Encoding value (spaces are fine): so does Weft. */
const TRAILING_TAB = /\t[ \t]*$/;
/** chunk-size [ chunk-ext ] with no whitespace (llhttp strict refuses it around sizes and `;`). */
const CHUNK_LINE = /^([0-9A-Fa-f]+)((?:;[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t !#-[\]-~]|\\[\t -~])*"))?)*)$/;
/** Chunk-size and trailer lines longer than this are refused (llhttp has no such line; it is a DoS guard). */
const MAX_FRAMING_LINE = 4096;

/** Parses successive requests on one connection (see the module comment). */
export class H1RequestParser {
  private s = S.Start;
  private readonly maxHeadBytes: number;
  private readonly maxHeaders: number;
  private readonly maxUriBytes: number;
  private readonly maxBodyBytes: number;
  /** Head bytes of a head that spans reads. */
  private partial: Buffer[] | undefined;
  private partialBytes = 0;
  /** The last (up to 3) bytes of the kept pieces: a terminator may straddle two reads. */
  private tail: Buffer = EMPTY;
  private remaining = 0;
  private bodyBytes = 0;
  private keepAlive = true;
  private upgrade = false;
  /** Pending partial chunk-size or trailer line. */
  private line = '';
  private trailers: string[] = [];
  private trailerBytes = 0;

  constructor(private readonly sink: RequestParserSink, limits: RequestParserLimits = {}) {
    this.maxHeadBytes = limits.maxHeadBytes ?? 16 * 1024;
    this.maxHeaders = limits.maxHeaders ?? 100;
    this.maxUriBytes = limits.maxUriBytes ?? 8192;
    this.maxBodyBytes = limits.maxBodyBytes ?? Infinity;
  }

  /**
   * `idle` between requests, `head` while one's head is arriving, `body` while its body is;
   * `upgraded` after an upgrade/CONNECT head, `closed` after a request that ends the connection,
   * `failed` after a refusal (the connection must answer and close).
   */
  get state(): RequestParserState {
    switch (this.s) {
      case S.Start:
        return 'idle';
      case S.StartLf:
      case S.Head:
        return 'head';
      case S.Upgraded:
        return 'upgraded';
      case S.Closed:
        return 'closed';
      case S.Failed:
        return 'failed';
      default:
        return 'body';
    }
  }

  /**
   * Feeds bytes; parses at most one request and returns how many bytes it consumed (it stops right
   * after a complete request, an upgrade head, or when `data` is used up). Throws
   * {@link H1CodecError} on a request it refuses (the parser is then failed).
   */
  execute(data: Buffer): number {
    let pos = 0;
    const end = data.length;
    try {
      while (pos < end) {
        switch (this.s) {
          case S.Start: {
            // RFC 9112 §2.2: empty lines (CRLF) before a request-line are ignored, as llhttp does.
            const b = data[pos]!;
            if (b === CR) {
              this.s = S.StartLf;
              pos++;
              break;
            }
            if (b === LF) throw new H1CodecError('BARE_CR_OR_LF', 'bare LF before the request line');
            this.s = S.Head;
            break;
          }
          case S.StartLf:
            if (data[pos] !== LF) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR before the request line');
            pos++;
            this.s = S.Start;
            break;
          case S.Head:
            pos = this.readHead(data, pos);
            if (this.s !== S.Head && (this.s === S.Start || this.s >= S.Upgraded)) return pos;
            break;
          case S.Length: {
            const n = Math.min(this.remaining, end - pos);
            this.remaining -= n;
            const chunk = data.subarray(pos, pos + n);
            pos += n;
            this.sink.onBody(chunk);
            if (this.remaining === 0) {
              this.complete();
              return pos;
            }
            break;
          }
          case S.ChunkSize:
          case S.Trailers:
            pos = this.readLine(data, pos);
            if ((this.s as S) === S.Start || (this.s as S) === S.Closed) return pos;
            break;
          case S.ChunkData: {
            const n = Math.min(this.remaining, end - pos);
            this.remaining -= n;
            const chunk = data.subarray(pos, pos + n);
            pos += n;
            this.sink.onBody(chunk);
            if (this.remaining === 0) {
              this.s = S.ChunkDataEnd;
              this.remaining = 2;
            }
            break;
          }
          case S.ChunkDataEnd: {
            const b = data[pos]!;
            if ((this.remaining === 2 && b !== CR) || (this.remaining === 1 && b !== LF)) throw new H1CodecError('INVALID_CHUNK', 'chunk data not followed by CRLF');
            pos++;
            if (--this.remaining === 0) this.s = S.ChunkSize;
            break;
          }
          case S.Upgraded:
          case S.Closed:
            return pos;
          case S.Failed:
            throw new H1CodecError('INCOMPLETE_MESSAGE', 'data after a refused request');
        }
      }
    } catch (err) {
      this.s = S.Failed;
      throw err;
    }
    return pos;
  }

  /**
   * The peer ended its side of the connection. Throws {@link H1CodecError} `INCOMPLETE_MESSAGE`
   * when a request was cut short (llhttp's `HPE_INVALID_EOF_STATE`); fine between requests.
   */
  finish(): void {
    if (this.s === S.Start || this.s === S.Upgraded || this.s === S.Closed || this.s === S.Failed) return;
    this.s = S.Failed;
    throw new H1CodecError('INCOMPLETE_MESSAGE', 'the connection ended in the middle of a request');
  }

  private complete(): void {
    this.s = this.upgrade ? S.Upgraded : this.keepAlive ? S.Start : S.Closed;
    this.sink.onComplete();
  }

  private readHead(data: Buffer, pos: number): number {
    const parts = this.partial;
    if (parts === undefined) {
      // The common case: the whole head in one read, parsed in place.
      const i = data.indexOf(CRLFCRLF, pos);
      const headEnd = i < 0 ? data.length : i + 4;
      if (headEnd - pos > this.maxHeadBytes) throw new H1CodecError('HEADERS_TOO_LARGE', 'request head too large');
      if (i >= 0) {
        this.onHeadText(data.toString('latin1', pos, i));
        return headEnd;
      }
      // Not complete yet: refuse bare CR/LF now rather than waiting for a terminator that may never come.
      checkLineEnds(data, pos, data.length, -1);
      this.keepPart(data.subarray(pos));
      return data.length;
    }
    // The head spans reads: the pieces are kept apart (no copy of the whole per read, so a head
    // sent a byte at a time costs linear work) and joined once the terminator arrives.
    const tail = this.tail;
    const probe = Buffer.concat([tail, data.subarray(pos, Math.min(data.length, pos + 3))]);
    const j = probe.indexOf(CRLFCRLF);
    let headEnd: number;
    if (j >= 0) headEnd = pos + j + 4 - tail.length;
    else {
      const k = data.indexOf(CRLFCRLF, pos);
      headEnd = k < 0 ? -1 : k + 4;
    }
    const received = this.partialBytes + (headEnd < 0 ? data.length : headEnd) - pos;
    if (received > this.maxHeadBytes) throw new H1CodecError('HEADERS_TOO_LARGE', 'request head too large');
    if (headEnd < 0) {
      checkLineEnds(data, pos, data.length, tail.length > 0 ? tail[tail.length - 1]! : -1);
      this.keepPart(data.subarray(pos));
      return data.length;
    }
    parts.push(data.subarray(pos, headEnd));
    const whole = Buffer.concat(parts);
    this.partial = undefined;
    this.partialBytes = 0;
    this.tail = EMPTY;
    this.onHeadText(whole.toString('latin1', 0, whole.length - 4));
    return headEnd;
  }

  /** Keeps a piece of an incomplete head (copied: the caller may reuse its buffer). */
  private keepPart(piece: Buffer): void {
    const copy = Buffer.from(piece);
    (this.partial ??= []).push(copy);
    this.partialBytes += copy.length;
    const t = Buffer.concat([this.tail, copy]);
    this.tail = t.subarray(Math.max(0, t.length - 3));
  }

  private onHeadText(head: string): void {
    const lines = head.split('\r\n');
    const requestLine = lines[0]!;
    const m = REQUEST_LINE.exec(requestLine);
    if (m === null) {
      if (/[\r\n]/.test(requestLine)) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR or LF in the request line');
      throw new H1CodecError('INVALID_REQUEST_LINE', 'malformed request line');
    }
    const method = m[1]!;
    const target = m[2]!;
    if (!TOKEN.test(method)) throw new H1CodecError('INVALID_METHOD', 'invalid method');
    if (!KNOWN_METHODS.has(method)) throw new H1CodecError('UNKNOWN_METHOD', `method ${method} is not implemented`);
    if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) throw new H1CodecError('INVALID_VERSION', 'HTTP version other than 1.0 or 1.1');
    if (target.length > this.maxUriBytes) throw new H1CodecError('URI_TOO_LONG', 'request-target too long');
    if (!validTarget(method, target)) throw new H1CodecError('INVALID_TARGET', 'invalid request-target');
    const minor = m[4] === '1' ? 1 : 0;
    if (lines.length - 1 > this.maxHeaders) throw new H1CodecError('TOO_MANY_HEADERS', 'too many header fields');

    const raw: string[] = new Array<string>((lines.length - 1) * 2);
    const clean = !SUSPICIOUS_HEAD.test(head);
    let contentLength = -1;
    let te: string | undefined;
    let connection: string | undefined;
    let hasUpgrade = false;
    let hosts = 0;
    let expect: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        const c = line.charCodeAt(0);
        if (c === 32 || c === 9) throw new H1CodecError('OBS_FOLD', 'obsolete line folding');
        if (/[\r\n]/.test(line)) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR or LF in the header section');
        throw new H1CodecError('INVALID_HEADER_NAME', 'header line without a name and colon');
      }
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) throw new H1CodecError(/[\r\n]/.test(name) ? 'BARE_CR_OR_LF' : 'INVALID_HEADER_NAME', 'invalid header name');
      const value = trimOws(line, colon + 1);
      if (!clean && BAD_FIELD_VALUE.test(value)) throw new H1CodecError(/[\r\n]/.test(value) ? 'BARE_CR_OR_LF' : 'INVALID_HEADER_VALUE', 'invalid character in a header value');
      raw[(i - 1) * 2] = name;
      raw[(i - 1) * 2 + 1] = value;
      switch (name.length) {
        // The first letter screens out most names before a lower-casing (`| 32` folds ASCII case).
        case 4:
          if ((name.charCodeAt(0) | 32) === 104 && name.toLowerCase() === 'host') hosts++;
          break;
        case 6:
          if ((name.charCodeAt(0) | 32) === 101 && name.toLowerCase() === 'expect') expect = value;
          break;
        case 7:
          // llhttp ignores an empty Upgrade field when deciding on an upgrade; so does Weft.
          if (value !== '' && (name.charCodeAt(0) | 32) === 117 && name.toLowerCase() === 'upgrade') hasUpgrade = true;
          break;
        case 10:
          // Raw (untrimmed) so that connectionTokens can tell `close\t` from `close`, as llhttp does.
          if ((name.charCodeAt(0) | 32) === 99 && name.toLowerCase() === 'connection') connection = connection === undefined ? line.slice(colon + 1) : `${connection},${line.slice(colon + 1)}`;
          break;
        case 14:
          if ((name.charCodeAt(0) | 32) === 99 && name.toLowerCase() === 'content-length') {
            if (contentLength >= 0) throw new H1CodecError('DUPLICATE_CONTENT_LENGTH', 'more than one Content-Length');
            if (!DIGITS.test(value) || TRAILING_TAB.test(line)) throw new H1CodecError('INVALID_CONTENT_LENGTH', 'invalid Content-Length');
            contentLength = Number(value);
          }
          break;
        case 17:
          if ((name.charCodeAt(0) | 32) === 116 && name.toLowerCase() === 'transfer-encoding') {
            // codec-guard.ts: only exactly `chunked`, once (RFC 9112 §6.1: chunked must be last; anything else is 400 here).
            if (te !== undefined) throw new H1CodecError('INVALID_TRANSFER_ENCODING', 'more than one Transfer-Encoding');
            if (value.toLowerCase() !== 'chunked' || TRAILING_TAB.test(line)) throw new H1CodecError('INVALID_TRANSFER_ENCODING', `Transfer-Encoding ${JSON.stringify(value)} is not chunked`);
            te = value;
          }
          break;
      }
    }
    if (te !== undefined && contentLength >= 0) throw new H1CodecError('CONTENT_LENGTH_AND_CHUNKED', 'both Content-Length and Transfer-Encoding');
    if (te !== undefined && minor === 0) throw new H1CodecError('TRANSFER_ENCODING_NOT_ALLOWED', 'Transfer-Encoding in an HTTP/1.0 request');
    if (hosts > 1) throw new H1CodecError('DUPLICATE_HOST', 'more than one Host');
    if (hosts === 0 && minor === 1) throw new H1CodecError('MISSING_HOST', 'HTTP/1.1 request without Host');
    const chunked = te !== undefined;
    const length = chunked ? -1 : Math.max(contentLength, 0);
    if (length > this.maxBodyBytes) throw new H1CodecError('BODY_TOO_LARGE', 'request body too large');
    // llhttp: `close` ends an HTTP/1.1 connection; HTTP/1.0 needs `keep-alive` (RFC 9112 §9.3). Weft also
    // lets `close` win on 1.0, which only ever closes earlier than llhttp would.
    const tokens = connection === undefined ? NO_TOKENS : connectionTokens(connection);
    const close = tokens.has('close');
    const keepAlive = !close && (minor === 1 || tokens.has('keep-alive'));
    const upgrade = method === 'CONNECT' || (hasUpgrade && tokens.has('upgrade'));
    if (upgrade && (chunked || length > 0)) throw new H1CodecError('BODY_NOT_ALLOWED', 'a body on an upgrade or CONNECT request');
    const expectContinue = minor === 1 && expect !== undefined && expect.toLowerCase() === '100-continue';
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
    this.bodyBytes = 0;
    this.remaining = length;
    this.line = '';
    this.trailers = [];
    this.trailerBytes = 0;
    this.s = chunked ? S.ChunkSize : length > 0 ? S.Length : S.Start;
    this.sink.onHead({ method, target, versionMinor: minor, rawHeaders: raw, keepAlive, upgrade, expectContinue, chunked, contentLength: length });
    if (this.s === S.Start) this.complete();
  }

  /** Reads one CRLF-terminated line of chunk framing (size line or trailer field). */
  private readLine(data: Buffer, pos: number): number {
    const i = data.indexOf(LF, pos);
    if (i < 0) {
      this.line += data.toString('latin1', pos);
      if (this.line.length > MAX_FRAMING_LINE) throw new H1CodecError(this.s === S.ChunkSize ? 'INVALID_CHUNK' : 'HEADERS_TOO_LARGE', 'chunk framing line too long');
      const cr = this.line.indexOf('\r');
      if (cr >= 0 && cr < this.line.length - 1) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR in chunk framing');
      return data.length;
    }
    const text = this.line + data.toString('latin1', pos, i);
    this.line = '';
    if (text.length > MAX_FRAMING_LINE) throw new H1CodecError(this.s === S.ChunkSize ? 'INVALID_CHUNK' : 'HEADERS_TOO_LARGE', 'chunk framing line too long');
    if (text.charCodeAt(text.length - 1) !== CR) throw new H1CodecError('BARE_CR_OR_LF', 'bare LF in chunk framing');
    const content = text.slice(0, -1);
    if (this.s === S.ChunkSize) this.onChunkSize(content);
    else this.onTrailerLine(content);
    return i + 1;
  }

  private onChunkSize(line: string): void {
    const m = CHUNK_LINE.exec(line);
    if (m === null) throw new H1CodecError(/\r/.test(line) ? 'BARE_CR_OR_LF' : 'INVALID_CHUNK', 'invalid chunk size line');
    const hex = m[1]!.replace(/^0+(?=.)/, '');
    if (hex.length > 13) throw new H1CodecError('CHUNK_SIZE_TOO_LARGE', 'chunk size too large');
    const n = parseInt(hex, 16);
    if (n === 0) {
      this.s = S.Trailers;
      return;
    }
    this.bodyBytes += n;
    if (this.bodyBytes > this.maxBodyBytes) throw new H1CodecError('BODY_TOO_LARGE', 'request body too large');
    this.remaining = n;
    this.s = S.ChunkData;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      if (this.trailers.length > 0) this.sink.onTrailers(this.trailers);
      this.complete();
      return;
    }
    this.trailerBytes += line.length + 2;
    if (this.trailerBytes > this.maxHeadBytes || this.trailers.length / 2 >= this.maxHeaders) throw new H1CodecError('HEADERS_TOO_LARGE', 'trailer section too large');
    const colon = line.indexOf(':');
    if (colon <= 0) {
      const c = line.charCodeAt(0);
      throw new H1CodecError(c === 32 || c === 9 ? 'OBS_FOLD' : 'INVALID_TRAILER', 'malformed trailer field');
    }
    const name = line.slice(0, colon);
    const value = trimOws(line, colon + 1);
    if (!TOKEN.test(name) || BAD_FIELD_VALUE.test(value)) throw new H1CodecError(/\r/.test(line) ? 'BARE_CR_OR_LF' : 'INVALID_TRAILER', 'malformed trailer field');
    // Framing and connection-management fields have no place in trailers (RFC 9110 §6.5.1); llhttp
    // refuses Transfer-Encoding there and would act on a trailing `Connection: close`.
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding' || lower === 'content-length' || lower === 'connection' || lower === 'upgrade') throw new H1CodecError('INVALID_TRAILER', `${name} in the trailer section`);
    this.trailers.push(name, value);
  }
}

const NO_TOKENS: ReadonlySet<string> = new Set();

/**
 * The lower-case tokens of raw `Connection` field values joined by commas. Whitespace before a
 * token is skipped, spaces after it too, but a token followed by HTAB is not recognised: llhttp's
 * matcher works so (`close\t` does not close), and Weft must not read a connection option llhttp
 * does not (RFC 9110 §7.6.1 allows OWS there; llhttp is the stricter reading, so it is the one
 * both must share).
 */
function connectionTokens(raw: string): ReadonlySet<string> {
  const out = new Set<string>();
  for (const part of raw.split(',')) {
    let a = 0;
    let b = part.length;
    while (a < b && (part.charCodeAt(a) === 32 || part.charCodeAt(a) === 9)) a++;
    while (b > a && part.charCodeAt(b - 1) === 32) b--;
    if (b > a && part.charCodeAt(b - 1) !== 9) out.add(part.slice(a, b).toLowerCase());
  }
  return out;
}

/**
 * Throws on a LF not preceded by CR, or a CR followed by anything but LF, in `buf[from, to)`;
 * `before` is the byte before `from` when it lies in an earlier read (-1: none). A CR at the very
 * end is judged when the next byte comes.
 */
function checkLineEnds(buf: Buffer, from: number, to: number, before: number): void {
  for (let i = buf.indexOf(LF, from); i >= 0 && i < to; i = buf.indexOf(LF, i + 1)) {
    const prev = i > from ? buf[i - 1] : before;
    if (prev !== CR) throw new H1CodecError('BARE_CR_OR_LF', 'bare LF in the request head');
  }
  if (before === CR && from < to && buf[from] !== LF) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR in the request head');
  for (let i = buf.indexOf(CR, from); i >= 0 && i < to - 1; i = buf.indexOf(CR, i + 1)) {
    if (buf[i + 1] !== LF) throw new H1CodecError('BARE_CR_OR_LF', 'bare CR in the request head');
  }
}
