import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H1CodecError, type H1Failure } from './codec-error.js';
import { H1RequestParser, type RequestHead, type RequestParserLimits } from './request-parser.js';

interface Parsed {
  head: RequestHead;
  body: string;
  trailers: readonly string[];
  complete: boolean;
}

/** Feeds `parts` one read at a time (leftovers fed again, as the connection does); returns the requests and the parser. */
function parse(parts: string[], limits?: RequestParserLimits): { requests: Parsed[]; parser: H1RequestParser; rest: string } {
  const requests: Parsed[] = [];
  let cur: Parsed | undefined;
  const parser = new H1RequestParser({
    onHead: (head) => {
      cur = { head, body: '', trailers: [], complete: false };
      requests.push(cur);
    },
    onBody: (c) => (cur!.body += c.toString('latin1')),
    onTrailers: (t) => (cur!.trailers = t),
    onComplete: () => (cur!.complete = true),
  }, limits);
  let rest = '';
  for (const part of parts) {
    let buf = Buffer.from(part, 'latin1');
    while (buf.length > 0) {
      const used = parser.execute(buf);
      buf = buf.subarray(used);
      if (parser.state === 'upgraded' || parser.state === 'closed') {
        rest += buf.toString('latin1');
        buf = Buffer.alloc(0);
      }
    }
  }
  return { requests, parser, rest };
}

function refuses(input: string | string[], failure: H1Failure, status: number, limits?: RequestParserLimits): void {
  assert.throws(() => {
    const { parser } = parse(typeof input === 'string' ? [input] : input, limits);
    parser.finish();
  }, (err: unknown) => {
    assert.ok(err instanceof H1CodecError, String(err));
    assert.equal(err.code, `WEFT_H1_${failure}`, `${JSON.stringify(input)}: ${err.message}`);
    assert.equal(err.status, status);
    return true;
  });
}

const H = 'Host: a';

test('a GET: method, target, version, fields as sent (values without surrounding whitespace)', () => {
  const { requests, parser } = parse([`GET /p?q=1 HTTP/1.1\r\n${H}\r\nX-A:  b c \t\r\nx-a:\r\n\r\n`]);
  const r = requests[0]!;
  assert.equal(r.head.method, 'GET');
  assert.equal(r.head.target, '/p?q=1');
  assert.equal(r.head.versionMinor, 1);
  assert.deepEqual(r.head.rawHeaders, ['Host', 'a', 'X-A', 'b c', 'x-a', '']);
  assert.ok(r.complete && r.head.keepAlive && !r.head.upgrade && !r.head.chunked);
  assert.equal(parser.state, 'idle');
});

test('a head and Content-Length body split at every byte boundary parse the same', () => {
  const wire = `POST /u HTTP/1.1\r\n${H}\r\nContent-Length: 5\r\nX-Long: abcdefghij\r\n\r\nhe\r\nx`;
  for (let i = 1; i < wire.length; i++) {
    const { requests, parser } = parse([wire.slice(0, i), wire.slice(i)]);
    assert.equal(requests.length, 1, `split at ${i}`);
    assert.equal(requests[0]!.body, 'he\r\nx', `split at ${i}`);
    assert.deepEqual(requests[0]!.head.rawHeaders, ['Host', 'a', 'Content-Length', '5', 'X-Long', 'abcdefghij']);
    assert.equal(parser.state, 'idle');
  }
});

test('chunked body with extensions, leading zeros and trailers, byte by byte', () => {
  const wire = `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1;q="a b"\r\nhello\r\n001\r\n!\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n`;
  const { requests, parser } = parse([...wire]);
  const r = requests[0]!;
  assert.equal(r.body, 'hello!0123456789');
  assert.deepEqual(r.trailers, ['X-Trailer', 't']);
  assert.ok(r.complete && r.head.chunked);
  assert.equal(r.head.contentLength, -1);
  assert.equal(parser.state, 'idle');
});

test('pipelining: one request per execute, in order; empty lines between requests are skipped', () => {
  const wire = `GET /1 HTTP/1.1\r\n${H}\r\n\r\nPOST /2 HTTP/1.1\r\n${H}\r\nContent-Length: 2\r\n\r\nok\r\nGET /3 HTTP/1.1\r\n${H}\r\n\r\n`;
  const seen: string[] = [];
  const p = new H1RequestParser({ onHead: (h) => seen.push(h.target), onBody: () => undefined, onTrailers: () => undefined, onComplete: () => seen.push('done') });
  let buf = Buffer.from(wire);
  const used: number[] = [];
  while (buf.length > 0) {
    const n = p.execute(buf);
    used.push(n);
    buf = buf.subarray(n);
  }
  assert.deepEqual(seen, ['/1', 'done', '/2', 'done', '/3', 'done']);
  assert.equal(used.length, 3, 'each execute stops after one request');
});

test('keep-alive: HTTP/1.1 unless close; HTTP/1.0 only with keep-alive; after close the rest is not parsed', () => {
  assert.equal(parse([`GET / HTTP/1.1\r\n${H}\r\n\r\n`]).requests[0]!.head.keepAlive, true);
  assert.equal(parse(['GET / HTTP/1.0\r\n\r\n']).requests[0]!.head.keepAlive, false);
  assert.equal(parse(['GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n']).requests[0]!.head.keepAlive, true);
  const { requests, parser, rest } = parse([`GET / HTTP/1.1\r\n${H}\r\nConnection: x, close\r\n\r\nGET /next HTTP/1.1\r\n${H}\r\n\r\n`]);
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.head.keepAlive, false);
  assert.equal(parser.state, 'closed');
  assert.match(rest, /^GET \/next/);
});

test('Expect: 100-continue on HTTP/1.1 is flagged (not on 1.0, nor other expectations)', () => {
  assert.equal(parse([`POST / HTTP/1.1\r\n${H}\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx`]).requests[0]!.head.expectContinue, true);
  assert.equal(parse(['POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx']).requests[0]!.head.expectContinue, false);
  assert.equal(parse([`POST / HTTP/1.1\r\n${H}\r\nExpect: 200-ok\r\n\r\n`]).requests[0]!.head.expectContinue, false);
});

test('upgrade (WebSocket) and CONNECT stop after the head; the bytes after it are the tunnel\'s', () => {
  const ws = parse([`GET /chat HTTP/1.1\r\n${H}\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello`]);
  assert.equal(ws.requests[0]!.head.upgrade, true);
  assert.equal(ws.parser.state, 'upgraded');
  assert.equal(ws.rest, '\x81\x05hello');
  const connect = parse([`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01`]);
  assert.equal(connect.requests[0]!.head.upgrade, true);
  assert.equal(connect.requests[0]!.head.target, 'example.com:443');
  assert.equal(connect.rest, '\x16\x03\x01');
  // `Upgrade` without `Connection: upgrade` is an ordinary request.
  assert.equal(parse([`GET / HTTP/1.1\r\n${H}\r\nUpgrade: websocket\r\n\r\n`]).requests[0]!.head.upgrade, false);
});

test('targets reach the owner exactly as sent (normalization is the path filter\'s: test/security/authz/path-bypass.test.ts)', () => {
  for (const t of ['/admin#frag', '/x\\..\\admin', '/%2e%2e/admin', '//admin', '/admin%', '/a?b=c&d', 'http://h:1/p?q', '*']) {
    const method = t === '*' ? 'OPTIONS' : 'GET';
    assert.equal(parse([`${method} ${t} HTTP/1.1\r\n${H}\r\n\r\n`]).requests[0]!.head.target, t);
  }
});

/** Request-smuggling and malformed-request vectors (test/security/authz/codec.test.ts and the classic CL.TE / TE.CL / TE.TE families). */
const REFUSED: readonly { name: string; raw: string | string[]; failure: H1Failure; status: number; limits?: RequestParserLimits }[] = [
  { name: 'CL.TE: Content-Length with Transfer-Encoding', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED`, failure: 'CONTENT_LENGTH_AND_CHUNKED', status: 400 },
  { name: 'TE.CL: Transfer-Encoding then Content-Length', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`, failure: 'CONTENT_LENGTH_AND_CHUNKED', status: 400 },
  { name: 'TE.TE: space before the colon', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, failure: 'INVALID_HEADER_NAME', status: 400 },
  { name: 'TE.TE: xchunked', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: chunked, identity', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: chunked, gzip', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: identity', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: identity\r\n\r\nhello`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: two Transfer-Encoding fields', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: quoted chunked', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: vertical tab before chunked', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n`, failure: 'INVALID_HEADER_VALUE', status: 400 },
  { name: 'TE.TE: HTAB after chunked (llhttp refuses it)', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'TE.TE: underscore name is another field, so this is a plain request with a body it does not frame', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer_Encoding: chunked\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx`, failure: 'DUPLICATE_CONTENT_LENGTH', status: 400 },
  { name: 'TE.TE: obs-fold continuation of Transfer-Encoding', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, failure: 'INVALID_TRANSFER_ENCODING', status: 400 },
  { name: 'Transfer-Encoding on HTTP/1.0', raw: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', failure: 'TRANSFER_ENCODING_NOT_ALLOWED', status: 400 },
  { name: 'duplicate Content-Length (same value)', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, failure: 'DUPLICATE_CONTENT_LENGTH', status: 400 },
  { name: 'duplicate Content-Length (different)', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`, failure: 'DUPLICATE_CONTENT_LENGTH', status: 400 },
  { name: 'Content-Length list', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 5, 5\r\n\r\nhello`, failure: 'INVALID_CONTENT_LENGTH', status: 400 },
  { name: 'negative Content-Length', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: -5\r\n\r\n`, failure: 'INVALID_CONTENT_LENGTH', status: 400 },
  { name: 'signed Content-Length', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: +5\r\n\r\nhello`, failure: 'INVALID_CONTENT_LENGTH', status: 400 },
  { name: 'hex Content-Length', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 0x5\r\n\r\nhello`, failure: 'INVALID_CONTENT_LENGTH', status: 400 },
  { name: 'overflowing Content-Length', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 99999999999999999999\r\n\r\n`, failure: 'INVALID_CONTENT_LENGTH', status: 400 },
  { name: 'obs-fold', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\r\n c\r\n\r\n`, failure: 'OBS_FOLD', status: 400 },
  { name: 'bare LF ending a header line', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\nX-B: c\r\n\r\n`, failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'bare LF ending the head (never terminated by CRLFCRLF)', raw: `GET / HTTP/1.1\n${H}\n\n`, failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'bare CR in a header line', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\rX-B: c\r\n\r\n`, failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'bare CR seen before the head ends', raw: [`GET / HTTP/1.1\r\n${H}\r\nX-A: b\rX`], failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'bare LF before the request line', raw: `\nGET / HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'NUL in a header value', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\x00c\r\n\r\n`, failure: 'INVALID_HEADER_VALUE', status: 400 },
  { name: 'control character in a header value', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\x01c\r\n\r\n`, failure: 'INVALID_HEADER_VALUE', status: 400 },
  { name: 'DEL in a header value', raw: `GET / HTTP/1.1\r\n${H}\r\nX-A: b\x7fc\r\n\r\n`, failure: 'INVALID_HEADER_VALUE', status: 400 },
  { name: 'NUL in a header name', raw: `GET / HTTP/1.1\r\n${H}\r\nX\x00A: b\r\n\r\n`, failure: 'INVALID_HEADER_NAME', status: 400 },
  { name: 'space in a header name', raw: `GET / HTTP/1.1\r\n${H}\r\nX A: b\r\n\r\n`, failure: 'INVALID_HEADER_NAME', status: 400 },
  { name: 'separator in a header name', raw: `GET / HTTP/1.1\r\n${H}\r\nX(A): b\r\n\r\n`, failure: 'INVALID_HEADER_NAME', status: 400 },
  { name: 'header line without a colon', raw: `GET / HTTP/1.1\r\n${H}\r\nXA\r\n\r\n`, failure: 'INVALID_HEADER_NAME', status: 400 },
  { name: 'two Host fields', raw: `GET / HTTP/1.1\r\n${H}\r\nHost: evil\r\n\r\n`, failure: 'DUPLICATE_HOST', status: 400 },
  { name: 'no Host on HTTP/1.1', raw: 'GET / HTTP/1.1\r\n\r\n', failure: 'MISSING_HOST', status: 400 },
  { name: 'HTTP/2.0 on an HTTP/1 connection', raw: `GET / HTTP/2.0\r\n${H}\r\n\r\n`, failure: 'INVALID_VERSION', status: 400 },
  { name: 'HTTP/1.2', raw: `GET / HTTP/1.2\r\n${H}\r\n\r\n`, failure: 'INVALID_VERSION', status: 400 },
  { name: 'lower-case protocol name', raw: `GET / http/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_REQUEST_LINE', status: 400 },
  { name: 'two spaces after the method', raw: `GET  / HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_REQUEST_LINE', status: 400 },
  { name: 'invalid method', raw: `G@T / HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_METHOD', status: 400 },
  { name: 'unknown method', raw: `FOO / HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'UNKNOWN_METHOD', status: 501 },
  { name: 'control character in the request-target', raw: `GET /a\x01b HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_TARGET', status: 400 },
  { name: 'non-ASCII byte in the request-target', raw: `GET /a\xffb HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_TARGET', status: 400 },
  { name: 'authority-form without CONNECT', raw: `GET a:80 HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_TARGET', status: 400 },
  { name: 'CONNECT to a path', raw: `CONNECT /x HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'INVALID_TARGET', status: 400 },
  { name: 'oversize chunk size', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`, failure: 'CHUNK_SIZE_TOO_LARGE', status: 400 },
  { name: 'chunk size with a space', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n`, failure: 'INVALID_CHUNK', status: 400 },
  { name: 'negative chunk size', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n`, failure: 'INVALID_CHUNK', status: 400 },
  { name: '0x chunk size', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`, failure: 'INVALID_CHUNK', status: 400 },
  { name: 'chunk extension with whitespace', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n5; a=b\r\nhello\r\n0\r\n\r\n`, failure: 'INVALID_CHUNK', status: 400 },
  { name: 'chunk data longer than its size', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`, failure: 'INVALID_CHUNK', status: 400 },
  { name: 'bare LF after a chunk size', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`, failure: 'BARE_CR_OR_LF', status: 400 },
  { name: 'Transfer-Encoding in the trailers', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n`, failure: 'INVALID_TRAILER', status: 400 },
  { name: 'a body on an upgrade', raw: `GET / HTTP/1.1\r\n${H}\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\nhi`, failure: 'BODY_NOT_ALLOWED', status: 400 },
  { name: 'request cut short in its body', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 5\r\n\r\nhel`, failure: 'INCOMPLETE_MESSAGE', status: 400 },
  { name: 'request cut short in its head', raw: `GET / HTTP/1.1\r\n${H}`, failure: 'INCOMPLETE_MESSAGE', status: 400 },
  { name: 'request-target over the URI limit', raw: `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'URI_TOO_LONG', status: 431 },
  { name: 'request-target over the head size limit', raw: `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n${H}\r\n\r\n`, failure: 'HEADERS_TOO_LARGE', status: 431 },
  { name: 'header section over the size limit, in pieces', raw: [`GET / HTTP/1.1\r\n${H}\r\n`, `X-Big: ${'b'.repeat(10_000)}`, 'b'.repeat(10_000)], failure: 'HEADERS_TOO_LARGE', status: 431 },
  { name: 'more headers than the count limit', raw: `GET / HTTP/1.1\r\n${H}\r\n${Array.from({ length: 150 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, failure: 'TOO_MANY_HEADERS', status: 431 },
  { name: 'Content-Length over the body limit', raw: `POST / HTTP/1.1\r\n${H}\r\nContent-Length: 11\r\n\r\n`, failure: 'BODY_TOO_LARGE', status: 413, limits: { maxBodyBytes: 10 } },
  { name: 'chunked body over the body limit', raw: `POST / HTTP/1.1\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n`, failure: 'BODY_TOO_LARGE', status: 413, limits: { maxBodyBytes: 10 } },
];

for (const c of REFUSED) {
  test(`refused: ${c.name} → ${c.status} ${c.failure}`, () => {
    refuses(c.raw, c.failure, c.status, c.limits);
  });
}

test('a refused request leaves the earlier pipelined ones parsed, and the parser failed', () => {
  const requests: string[] = [];
  const p = new H1RequestParser({ onHead: (h) => requests.push(h.target), onBody: () => undefined, onTrailers: () => undefined, onComplete: () => undefined });
  let buf = Buffer.from(`GET /ok HTTP/1.1\r\n${H}\r\n\r\nGET /bad HTTP/1.1\r\n${H}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`);
  buf = buf.subarray(p.execute(buf));
  assert.deepEqual(requests, ['/ok']);
  assert.throws(() => p.execute(buf), /Content-Length and Transfer-Encoding/);
  assert.equal(p.state, 'failed');
  assert.throws(() => p.execute(Buffer.from('GET / HTTP/1.1\r\n\r\n')), H1CodecError);
});

test('limits as today: a head just under 16 KiB and 100 fields are accepted', () => {
  const fields = Array.from({ length: 99 }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.equal(parse([`GET / HTTP/1.1\r\n${H}\r\n${fields}\r\n`]).requests.length, 1);
  const big = `GET / HTTP/1.1\r\n${H}\r\nX-Big: `;
  assert.equal(parse([`${big}${'b'.repeat(16 * 1024 - big.length - 4)}\r\n\r\n`]).requests.length, 1);
  refuses(`${big}${'b'.repeat(16 * 1024 - big.length - 3)}\r\n\r\n`, 'HEADERS_TOO_LARGE', 431);
});
