import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID_RESPONSE_CODE, serializeLocalReply, serializeResponseHead } from './response-serializer.js';

const GET11 = { method: 'GET', versionMinor: 1, keepAlive: true } as const;

test('Content-Length framing; fields kept in order and case; owned connection fields replaced', () => {
  const h = serializeResponseHead(200, ['Content-Type', 'text/plain', 'Content-Length', '5', 'Connection', 'keep-alive', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'], GET11);
  assert.equal(h.head, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n');
  assert.deepEqual([h.framing, h.contentLength, h.keepAlive], ['length', 5, true]);
});

test('no length: chunked to HTTP/1.1, close-delimited to HTTP/1.0; keep-alive announced to HTTP/1.0', () => {
  assert.deepEqual(serializeResponseHead(200, {}, GET11), { head: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', framing: 'chunked', contentLength: -1, keepAlive: true });
  const old = serializeResponseHead(200, {}, { method: 'GET', versionMinor: 0, keepAlive: true });
  assert.deepEqual([old.framing, old.keepAlive, old.head], ['close', false, 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n']);
  const kept = serializeResponseHead(200, { 'content-length': 0 }, { method: 'GET', versionMinor: 0, keepAlive: true });
  assert.equal(kept.head, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n');
});

test('HEAD, 204, 304 and 1xx have no body (a HEAD response keeps its Content-Length)', () => {
  const head = serializeResponseHead(200, { 'content-length': 10 }, { ...GET11, method: 'HEAD' });
  assert.deepEqual([head.framing, head.head], ['none', 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n']);
  assert.equal(serializeResponseHead(204, {}, GET11).framing, 'none');
  assert.equal(serializeResponseHead(304, { etag: '"x"' }, GET11).head, 'HTTP/1.1 304 Not Modified\r\netag: "x"\r\n\r\n');
  assert.equal(serializeResponseHead(100, {}, GET11).head, 'HTTP/1.1 100 Continue\r\n\r\n');
});

test('Connection: close from the response or the request closes; local replies always do', () => {
  assert.match(serializeResponseHead(200, { connection: 'close', 'content-length': 0 }, GET11).head, /\r\nconnection: close\r\n\r\n$/);
  assert.equal(serializeResponseHead(200, { 'content-length': 0 }, { ...GET11, keepAlive: false }).keepAlive, false);
  assert.equal(serializeLocalReply(400, 'Bad Request: obs_fold'), 'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 21\r\nconnection: close\r\n\r\nBad Request: obs_fold');
});

test('response splitting is refused: CR, LF or NUL in a value, a bad name, a bad status', () => {
  const bad = (fn: () => unknown) => assert.throws(fn, (e: Error & { code?: string }) => e.code === INVALID_RESPONSE_CODE);
  bad(() => serializeResponseHead(200, { location: '/a\r\nSet-Cookie: x=1' }, GET11));
  bad(() => serializeResponseHead(200, { 'x-a': 'a\nb' }, GET11));
  bad(() => serializeResponseHead(200, { 'x-a': 'a\0b' }, GET11));
  bad(() => serializeResponseHead(200, { 'x a': 'b' }, GET11));
  bad(() => serializeResponseHead(200, { 'content-length': '-1' }, GET11));
  bad(() => serializeResponseHead(99, {}, GET11));
  bad(() => serializeResponseHead(200, {}, GET11, 'OK\r\nX: y'));
});
