import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { H1ResponseParser, UPSTREAM_PROTOCOL_ERROR_CODE } from './response-parser.js';

interface Parsed {
  status: number;
  headers: IncomingHttpHeaders;
  keepAlive: boolean;
  body: string;
  complete: boolean;
}

/** Feeds `parts` one read at a time; returns the responses seen and the bytes left over. */
function parse(parts: string[], opts: { head?: boolean; limits?: { maxHeadBytes?: number; maxHeaders?: number } } = {}): { responses: Parsed[]; leftover: number } {
  const responses: Parsed[] = [];
  let cur: Parsed | undefined;
  const p = new H1ResponseParser({
    onHead: (status, headers, keepAlive) => {
      cur = { status, headers, keepAlive, body: '', complete: false };
      responses.push(cur);
    },
    onBody: (chunk) => {
      cur!.body += chunk.toString('latin1');
    },
    onComplete: () => {
      cur!.complete = true;
    },
  }, opts.limits);
  p.expect(opts.head ?? false);
  let leftover = 0;
  for (const part of parts) {
    const buf = Buffer.from(part, 'latin1');
    leftover += buf.length - p.execute(buf);
  }
  return { responses, leftover };
}

function rejects(parts: string[], why: RegExp, opts: { head?: boolean } = {}): void {
  assert.throws(() => parse(parts, opts), (err: Error & { code?: string }) => err.code === UPSTREAM_PROTOCOL_ERROR_CODE && why.test(err.message));
}

test('content-length body in one read, with node:http header rules', () => {
  const { responses, leftover } = parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-A: 1\r\nx-a: 2\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nhello']);
  assert.equal(leftover, 0);
  const r = responses[0]!;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello');
  assert.ok(r.complete && r.keepAlive);
  assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(r.headers['x-a'], '1, 2');
  assert.equal(r.headers['content-type'], 'text/plain');
});

test('a head and body split at every byte boundary parse the same', () => {
  const wire = 'HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-Long: abcdefghij\r\n\r\nxyz';
  for (let i = 1; i < wire.length; i++) {
    const { responses } = parse([wire.slice(0, i), wire.slice(i)]);
    assert.equal(responses.length, 1, `split at ${i}`);
    assert.equal(responses[0]!.status, 201);
    assert.equal(responses[0]!.headers['x-long'], 'abcdefghij');
    assert.equal(responses[0]!.body, 'xyz', `split at ${i}`);
    assert.ok(responses[0]!.complete);
  }
});

test('chunked body with extensions and trailers, byte by byte', () => {
  const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n';
  const { responses, leftover } = parse([...wire]);
  assert.equal(leftover, 0);
  assert.equal(responses[0]!.body, 'hello!');
  assert.ok(responses[0]!.complete && responses[0]!.keepAlive);
});

test('no body for HEAD, 204 and 304; interim 100 is skipped', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'], { head: true }).responses[0]!.complete, true);
  assert.equal(parse(['HTTP/1.1 204 No Content\r\n\r\n']).responses[0]!.complete, true);
  assert.equal(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n']).responses[0]!.complete, true);
  const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']).responses;
  assert.equal(r.length, 1);
  assert.equal(r[0]!.status, 200);
  assert.equal(r[0]!.body, 'ok');
});

test('a body without length runs until close and forbids reuse; Connection: close and HTTP/1.0 too', () => {
  const r = parse(['HTTP/1.1 200 OK\r\n\r\nabc', 'def']).responses[0]!;
  assert.equal(r.body, 'abcdef');
  assert.equal(r.complete, false);
  assert.equal(r.keepAlive, false);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).responses[0]!.keepAlive, false);
  assert.equal(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).responses[0]!.keepAlive, false);
  assert.equal(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n']).responses[0]!.keepAlive, true);
});

test('bytes after a complete response are left over', () => {
  assert.equal(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA']).leftover, 5);
});

test('malformed responses are rejected, never guessed', () => {
  rejects(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'], /both transfer-encoding and content-length/);
  rejects(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'], /conflicting content-length/);
  rejects(['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'], /invalid content-length/);
  rejects(['HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'], /invalid content-length/);
  rejects(['HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n'], /obsolete line folding/);
  rejects(['HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n'], /invalid character/);
  rejects(['HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n'], /invalid character/);
  rejects(['HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n'], /invalid header name/);
  rejects(['HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n'], /invalid header name/);
  rejects(['HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n'], /invalid character/);
  rejects(['HTTP/2 200 OK\r\n\r\n'], /status line/);
  rejects(['HTTP/1.1 2000 OK\r\n\r\n'], /status line/);
  rejects(['HTTP/1.1 099 Low\r\n\r\n'], /status code/);
  rejects(['HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'], /101/);
  rejects(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /chunk size/);
  rejects(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n'], /CRLF/);
  rejects(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n'], /bare LF/);
  rejects(['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'], /HTTP\/1\.0/);
});

test('head size and header count limits', () => {
  rejects([`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`], /too large/);
  rejects(['HTTP/1.1 200 OK\r\n', `X-Big: ${'a'.repeat(70_000)}`], /too large/);
  const many = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('');
  rejects([`HTTP/1.1 200 OK\r\n${many}\r\n`], /too many/);
});

test('successive responses on one connection', () => {
  const seen: number[] = [];
  const p = new H1ResponseParser({ onHead: (s) => seen.push(s), onBody: () => undefined, onComplete: () => seen.push(0) });
  for (const status of [200, 404, 503]) {
    p.expect(false);
    const wire = Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Length: 2\r\n\r\nok`);
    assert.equal(p.execute(wire), wire.length);
  }
  assert.deepEqual(seen, [200, 0, 404, 0, 503, 0]);
});

test('connection-level headers are interpreted, not passed on', () => {
  const r = parse(['HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nX-End: 2\r\nContent-Length: 0\r\n\r\n']).responses[0]!;
  assert.equal(r.keepAlive, true);
  assert.deepEqual(Object.keys(r.headers).sort(), ['content-length', 'x-end']);
});
