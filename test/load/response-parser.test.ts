/**
 * Unit tests of the load client's HTTP/1.1 response framing: every framing mode, byte-at-a-time
 * delivery, interim responses, sizes, and malformed input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser, ResponseParseError, type ParsedResponse } from '../../src/load/response-parser.js';

/** Feeds `wire` in pieces of `step` bytes; returns the response and the piece index where it completed. */
function parse(wire: string, step = wire.length, head = false): ParsedResponse | undefined {
  const p = new ResponseParser();
  p.begin(head);
  const buf = Buffer.from(wire, 'latin1');
  for (let i = 0; i < buf.length; i += step) {
    const r = p.feed(buf.subarray(i, i + step));
    if (r) return r;
  }
  return p.end();
}

const CL = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello';

test('Content-Length body, whole or byte by byte, with header and total sizes', () => {
  const head = CL.indexOf('\r\n\r\n') + 4;
  for (const step of [CL.length, 1, 3, 7]) {
    assert.deepEqual(parse(CL, step), { status: 200, headerBytes: head, totalBytes: CL.length, bodyBytes: 5, keepAlive: true }, `step ${step}`);
  }
});

test('chunked body with extensions and trailers, split anywhere', () => {
  const wire = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n0005\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n';
  for (const step of [wire.length, 1, 2, 5]) {
    const r = parse(wire, step);
    assert.equal(r?.status, 503, `step ${step}`);
    assert.equal(r?.bodyBytes, 9);
    assert.equal(r?.totalBytes, wire.length);
    assert.equal(r?.keepAlive, true);
  }
});

test('no body for HEAD, 204 and 304 even with Content-Length', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', undefined, true)?.bodyBytes, 0);
  assert.equal(parse('HTTP/1.1 204 No Content\r\n\r\n')?.status, 204);
  assert.equal(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')?.totalBytes, 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'.length);
});

test('body delimited by connection close', () => {
  const p = new ResponseParser();
  p.begin(false);
  assert.equal(p.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\nabc')), undefined);
  assert.equal(p.feed(Buffer.from('def')), undefined);
  assert.deepEqual(p.end(), { status: 200, headerBytes: 19, totalBytes: 25, bodyBytes: 6, keepAlive: false });
});

test('a truncated Content-Length body is not a response', () => {
  const p = new ResponseParser();
  p.begin(false);
  p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.equal(p.started, true);
  assert.equal(p.end(), undefined);
});

test('interim 1xx responses are skipped; the final status and head size are reported', () => {
  const final = 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n';
  const wire = `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${final}`;
  const r = parse(wire, 4);
  assert.equal(r?.status, 201);
  assert.equal(r?.headerBytes, final.length);
  assert.equal(r?.totalBytes, wire.length);
});

test('keep-alive decisions: Connection: close, HTTP/1.0 keep-alive, TE with CL', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')?.keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')?.keepAlive, true);
  assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')?.keepAlive, false);
  assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')?.keepAlive, false);
});

test('bytes after a complete response are counted as extra', () => {
  const p = new ResponseParser();
  p.begin(false);
  const r = p.feed(Buffer.from(`${CL}HTTP/1.1 200 OK\r\n`));
  assert.equal(r?.status, 200);
  assert.equal(p.extraBytes, 17);
});

test('malformed responses throw LOAD_BAD_RESPONSE', () => {
  const bad = [
    'HTP/1.1 200 OK\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno-colon\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n',
    'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  ];
  for (const wire of bad) {
    assert.throws(() => parse(wire), (e: unknown) => e instanceof ResponseParseError && e.code === 'LOAD_BAD_RESPONSE', JSON.stringify(wire));
  }
});

test('an endless head is refused at the size limit', () => {
  const p = new ResponseParser({ maxHeaderBytes: 1024 });
  p.begin(false);
  p.feed(Buffer.from('HTTP/1.1 200 OK\r\n'));
  assert.throws(() => {
    for (let i = 0; i < 100; i++) p.feed(Buffer.from('X-Filler: 0123456789\r\n'));
  }, ResponseParseError);
});
